# The two commands a newcomer needs: `make demo` and `make test`. Each installs what is
# missing (scripts/install-deps), configures and builds first.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps configure build test bench demo clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 1200

bench: build
	@scripts/run-bench $(BUILD)

demo: build
	@scripts/run-demo $(BUILD)

clean:
	rm -rf $(BUILD)

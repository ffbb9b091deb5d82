# bt_add_library(<sub> SOURCES a.cpp b.cpp DEPS bt_core ... PRIVATE_DEPS ...)
# declares the static library bt_<sub> of src/behavtrack/<sub>. Headers are included as
# "behavtrack/<sub>/<unit>.h" from the src/ root.
function(bt_add_library sub)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(bt_${sub} STATIC ${ARG_SOURCES})
  target_include_directories(bt_${sub} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(bt_${sub} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  target_compile_options(bt_${sub} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()

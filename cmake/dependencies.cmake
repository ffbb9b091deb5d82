# Every third-party dependency, found once. All come from Debian packages
# (scripts/install-deps); Torch can also be an official (CUDA) LibTorch given with
# -DCMAKE_PREFIX_PATH=/path/to/libtorch.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

find_package(Torch REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs videoio video optflow dnn)
pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET
  libavformat libavcodec libavutil libswscale libavfilter)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)

# XGBoost (Debian's libxgboost-dev) ships no CMake config: wrap it in an imported target.
find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h)
find_library(XGBOOST_LIBRARY NAMES xgboost)
if(XGBOOST_INCLUDE_DIR AND XGBOOST_LIBRARY)
  add_library(xgboost::xgboost UNKNOWN IMPORTED)
  set_target_properties(xgboost::xgboost PROPERTIES
    IMPORTED_LOCATION ${XGBOOST_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${XGBOOST_INCLUDE_DIR})
endif()

# Torch's own flags (-D_GLIBCXX_USE_CXX11_ABI=...) must reach every translation unit
# that shares objects with Torch, i.e. all of them.
separate_arguments(BT_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")
add_compile_options(${BT_TORCH_CXX_FLAGS})

# The annotation server's extra test pieces: a project fixture (used by the GoogleTest
# server tests, the browser tests and the benchmark), the annotate child-process helper,
# and the Playwright browser tests against the real server: annotate (the app) and tracks
# (the overlay of `annotate --tracks`). They need node and tests/e2e/node_modules from
# `npm ci`, which scripts/install-deps runs.
target_sources(behavtrack_tests PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/server_fixture.cpp ${CMAKE_CURRENT_LIST_DIR}/server_process.cpp)
target_link_libraries(behavtrack_tests PRIVATE PkgConfig::HTTPLIB opencv_imgcodecs opencv_imgproc)

add_executable(bt_server_fixture ${CMAKE_CURRENT_LIST_DIR}/fixture_main.cpp
                                 ${CMAKE_CURRENT_LIST_DIR}/server_fixture.cpp)
target_include_directories(bt_server_fixture PRIVATE ${CMAKE_CURRENT_LIST_DIR}/..)
target_link_libraries(bt_server_fixture PRIVATE bt_project bt_video opencv_imgproc)

find_program(BT_NODE node)
if(BT_NODE)
  foreach(name annotate tracks)
    add_test(NAME ServerBrowserSlow.${name}
             COMMAND ${BT_NODE} ${CMAKE_SOURCE_DIR}/tests/e2e/${name}.test.mjs)
    set_tests_properties(ServerBrowserSlow.${name} PROPERTIES
      TIMEOUT 300
      ENVIRONMENT "BT_CLI=$<TARGET_FILE:behavtrack>;BT_FIXTURE=$<TARGET_FILE:bt_server_fixture>;BT_TEST_OUTPUT=${CMAKE_BINARY_DIR}/test-output/e2e;BEHAVTRACK_WEB_DIR=${CMAKE_SOURCE_DIR}/web")
  endforeach()
  add_dependencies(behavtrack_tests bt_server_fixture)
endif()

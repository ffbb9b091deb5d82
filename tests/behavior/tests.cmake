# The behaviour tests render synthetic mice when the synth subsystem is built.
if(TARGET bt_synth)
  target_compile_definitions(behavtrack_tests PRIVATE BT_TEST_HAVE_SYNTH=1)
endif()

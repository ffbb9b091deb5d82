# The Snakemake workflow, run for real with --cores 2 (workflow/Snakefile).
add_test(NAME AnalysisWorkflow.SnakemakeTwoVideos
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/workflow_test.sh $<TARGET_FILE:behavtrack> ${CMAKE_SOURCE_DIR})
set_tests_properties(AnalysisWorkflow.SnakemakeTwoVideos PROPERTIES TIMEOUT 600)

// The program's contract, independent of any command: exit codes and one-line errors.
#include <gtest/gtest.h>

#include "test_support.h"

namespace bt {
namespace {

TEST(Cli, HelpExitsZeroAndListsOptions) {
  const auto r = test::run_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--quiet"), std::string::npos);
}

TEST(Cli, VersionExitsZero) {
  const auto r = test::run_cli({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("behavtrack 0.1.0"), std::string::npos);
}

// Spinning OpenMP waits starve the working thread on a busy machine (core/runtime.h): the
// program re-executes itself with passive waits, and respects a policy the user chose.
TEST(Cli, RunsWithPassiveOpenMpWaitsAndOneMallocArenaUnlessTheUserChoseOtherwise) {
  const auto unset = test::run_program(
      "/usr/bin/env", {"-u", "OMP_WAIT_POLICY", "-u", "MALLOC_ARENA_MAX", BT_CLI_PATH, "--version"});
  EXPECT_EQ(unset.exit_code, 0) << unset.err;
  EXPECT_NE(unset.out.find("OpenMP waits passive, malloc arenas 1"), std::string::npos) << unset.out;
  const auto chosen = test::run_program(
      "/usr/bin/env", {"OMP_WAIT_POLICY=active", "MALLOC_ARENA_MAX=4", BT_CLI_PATH, "--version"});
  EXPECT_NE(chosen.out.find("OpenMP waits active, malloc arenas 4"), std::string::npos) << chosen.out;
  // One set by the user, the other still set by the program.
  const auto one = test::run_program(
      "/usr/bin/env", {"-u", "MALLOC_ARENA_MAX", "OMP_WAIT_POLICY=active", BT_CLI_PATH, "--version"});
  EXPECT_NE(one.out.find("OpenMP waits active, malloc arenas 1"), std::string::npos) << one.out;
}

TEST(Cli, NoCommandIsAUsageError) {
  const auto r = test::run_cli({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("A subcommand is required"), std::string::npos) << r.err;
}

TEST(Cli, UnknownCommandIsAUsageError) {
  const auto r = test::run_cli({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "behavtrack: unknown command 'frobnicate'; run 'behavtrack --help' for the list\n");
}

}  // namespace
}  // namespace bt

// Helpers shared by the tests: paths to the data, a scratch folder per test, and running
// the real `behavtrack` program.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace bt::test {

// ../shared/data, as configured at build time.
std::filesystem::path shared_data();
// The source tree and the folder where tests may keep artifacts (screenshots, renders).
std::filesystem::path source_dir();
std::filesystem::path output_dir();
// The DLC open-field data set, and true when it is present.
std::filesystem::path dlc_dir();

// A fresh empty folder for the running test, removed when the test passes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs build/bin/behavtrack with `args` (no shell), capturing stdout and stderr.
CliResult run_cli(const std::vector<std::string>& args);
// Runs any program with args, capturing output.
CliResult run_program(const std::string& program, const std::vector<std::string>& args);
// Starts build/bin/behavtrack with `args` in the background, its output discarded: for the
// tests that kill it mid-run.
pid_t start_cli(const std::vector<std::string>& args);
// Sends SIGKILL to a process from start_cli and reaps it; true when the signal ended it
// (it was still running).
bool kill9(pid_t pid);

}  // namespace bt::test

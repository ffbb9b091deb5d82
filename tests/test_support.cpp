#include "test_support.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <csignal>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

namespace bt::test {
namespace fs = std::filesystem;

fs::path shared_data() { return BT_SHARED_DATA_DIR; }
fs::path source_dir() { return BT_SOURCE_DIR; }
fs::path output_dir() {
  fs::path p = BT_TEST_OUTPUT_DIR;
  fs::create_directories(p);
  return p;
}
fs::path dlc_dir() { return shared_data() / "dlc-openfield"; }

TempDir::TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
  for (char& c : name)
    if (c == '/') c = '_';
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("bt-" + name + "-" + std::to_string(rd() % 1000000));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const bool failed = info && info->result() && info->result()->Failed();
  std::error_code ec;
  if (!failed) fs::remove_all(path_, ec);
}

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

CliResult run_program(const std::string& program, const std::vector<std::string>& args) {
  TempDir capture;
  const fs::path out_path = capture / "stdout", err_path = capture / "stderr";
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

CliResult run_cli(const std::vector<std::string>& args) { return run_program(BT_CLI_PATH, args); }

pid_t start_cli(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string program = BT_CLI_PATH;
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

bool kill9(pid_t pid) {
  const bool sent = kill(pid, SIGKILL) == 0;
  int status = 0;
  waitpid(pid, &status, 0);
  return sent && WIFSIGNALED(status);
}

}  // namespace bt::test

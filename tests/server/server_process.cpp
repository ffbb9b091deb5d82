#include "server/server_process.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>

#include "test_support.h"

namespace bt::test {

ServerProcess::ServerProcess(const std::filesystem::path& project, std::vector<std::string> extra) {
  int out[2];
  if (pipe(out) != 0) {
    ADD_FAILURE() << "pipe failed";
    return;
  }
  std::vector<std::string> args = {BT_CLI_PATH, "annotate", project.string(), "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  // Read until the "serving ... http://host:PORT/" line.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::regex serving(R"(http://[^:]+:(\d+)/)");
  std::smatch m;
  while (std::chrono::steady_clock::now() < deadline && !std::regex_search(text, m, serving)) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[256];
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  close(out[0]);
  if (std::regex_search(text, m, serving)) port_ = std::stoi(m[1].str());
  else ADD_FAILURE() << "annotate did not start; it printed: " << text;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) kill9();
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace bt::test

// A real `behavtrack annotate` child process for the tests: started on a free port (the
// port is read from the line it prints), killed with SIGKILL or SIGTERM.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace bt::test {

class ServerProcess {
 public:
  // Starts `behavtrack annotate DIR --port 0 extra...`; waits for its "serving" line.
  // Fails the current test (and port() is 0) when it does not come within 20 s.
  explicit ServerProcess(const std::filesystem::path& project, std::vector<std::string> extra = {});
  ~ServerProcess();  // SIGKILL if still running
  int port() const { return port_; }
  // Sends SIGKILL and reaps the process.
  void kill9();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace bt::test

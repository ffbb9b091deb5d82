// Static files of the web app and path safety: nothing outside web/ is ever served,
// whatever the encoding of the path; the server binds 127.0.0.1 unless told otherwise.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>

#include "behavtrack/core/error.h"
#include "behavtrack/server/path_safety.h"
#include "behavtrack/server/project_backend.h"
#include "behavtrack/server/server.h"
#include "server/server_fixture.h"
#include "server/server_process.h"
#include "test_support.h"

namespace bt::server {
namespace {
namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(PathSafety, AcceptsPlainPathsOnly) {
  EXPECT_TRUE(is_safe_relative_path("/index.html"));
  EXPECT_TRUE(is_safe_relative_path("/js/app.js"));
  for (const char* bad : {"", "index.html", "/", "/../x", "/js/../../x", "/./x", "//etc/passwd", "/js//x",
                          "/%2e%2e/x", "/a\\..\\b", "/c:/windows", "/js/"})
    EXPECT_FALSE(is_safe_relative_path(bad)) << bad;
  EXPECT_FALSE(is_safe_relative_path(std::string("/a\0b", 4)));
}

TEST(PathSafety, ResolvesOnlyRegularFilesInsideTheRoot) {
  test::TempDir dir;
  write(dir / "web/index.html", "hi");
  write(dir / "secret.txt", "secret");
  fs::create_symlink(dir / "secret.txt", dir / "web/leak.txt");
  fs::create_symlink(dir / "web/index.html", dir / "web/alias.html");
  fs::create_directories(dir / "web/js");
  EXPECT_EQ(resolve_under(dir / "web", "/index.html"), fs::canonical(dir / "web/index.html"));
  EXPECT_EQ(resolve_under(dir / "web", "/alias.html"), fs::canonical(dir / "web/index.html"));
  EXPECT_FALSE(resolve_under(dir / "web", "/leak.txt"));  // symlink escaping the root
  EXPECT_FALSE(resolve_under(dir / "web", "/js"));        // a folder
  EXPECT_FALSE(resolve_under(dir / "web", "/missing.js"));
  EXPECT_FALSE(resolve_under(dir / "web", "/../secret.txt"));
}

class ServerStatic : public ::testing::Test {
 protected:
  void SetUp() override {
    test::FixtureOptions o;
    o.n_frames = 2;
    test::make_annotation_project(dir_ / "p", o);
    write(dir_ / "web/index.html", "<html>app</html>");
    write(dir_ / "web/js/app.js", "export {};");
    write(dir_ / "web/css/app.css", "body{}");
    write(dir_ / "outside.txt", "must not leak");
    fs::create_symlink(dir_ / "outside.txt", dir_ / "web/js/leak.js");
    backend_ = open_project_backend(dir_ / "p");
    ServerOptions so;
    so.port = 0;
    so.web_dir = dir_ / "web";
    server_ = std::make_unique<AnnotationServer>(so, *backend_);
    server_->start();
  }

  // Sends the request line exactly as written (no client-side normalisation or encoding).
  std::string raw_get(const std::string& target) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    auto res = c.Get(target.c_str());
    if (!res) return "no reply";
    return std::to_string(res->status) + " " + res->body;
  }

  test::TempDir dir_;
  std::unique_ptr<AnnotationBackend> backend_;
  std::unique_ptr<AnnotationServer> server_;
};

TEST_F(ServerStatic, ServesTheAppWithContentTypes) {
  httplib::Client c("127.0.0.1", server_->port());
  auto res = c.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "<html>app</html>");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(c.Get("/js/app.js")->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(c.Get("/css/app.css")->get_header_value("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(c.Get("/nothing.html")->status, 404);
}

TEST_F(ServerStatic, TraversalAttemptsNeverLeaveTheWebFolder) {
  for (const std::string target :
       {"/../outside.txt", "/js/../../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E/%2e%2e/p/behavtrack.db",
        "/js/..%2f..%2foutside.txt", "/%252e%252e/outside.txt", "/..%5coutside.txt", "//etc/passwd",
        "/%2fetc%2fpasswd", "/js/leak.js", "/../p/behavtrack.db", "/js/%00/../../outside.txt"}) {
    const std::string reply = raw_get(target);
    EXPECT_EQ(reply.find("must not leak"), std::string::npos) << target;
    EXPECT_EQ(reply.find("SQLite"), std::string::npos) << target;
    EXPECT_TRUE(reply.rfind("404", 0) == 0 || reply.rfind("400", 0) == 0) << target << " -> " << reply;
  }
}

TEST_F(ServerStatic, BindsLoopbackByDefault) {
  EXPECT_EQ(ServerOptions().host, "127.0.0.1");
  EXPECT_EQ(server_->host(), "127.0.0.1");
}

TEST(ServerOptions, ValidateNamesTheField) {
  test::TempDir dir;
  write(dir / "index.html", "x");
  ServerOptions o;
  o.web_dir = dir.path();
  o.port = 70000;
  try {
    o.validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "port: 70000 is not in 0..65535");
  }
  o.port = 0;
  o.web_dir = dir / "nowhere";
  try {
    o.validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("no index.html"), std::string::npos);
  }
}

TEST(AnnotateCli, HelpDocumentsEveryFlag) {
  const auto r = test::run_cli({"annotate", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"DIR", "--port", "--host", "127.0.0.1", "0 picks a free one", "--tracks", "--tracks-video",
                           "Instances JSON with ids", "O toggles the tracks overlay"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

TEST(AnnotateCli, BadInputGetsOneLineAndANonZeroExit) {
  test::TempDir dir;
  auto r = test::run_cli({"annotate", (dir / "no-project").string(), "--port", "0"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("no-project"), std::string::npos) << r.err;
  r = test::run_cli({"annotate", dir.path().string(), "--port", "80x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = test::run_cli({"annotate", dir.path().string(), "--port", "70000"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("port: 70000 is not in 0..65535"), std::string::npos) << r.err;
}

// A second server on a port in use must fail, not share the port (SO_REUSEPORT).
TEST(AnnotateCli, ABusyPortIsReported) {
  test::TempDir dir;
  test::make_annotation_project(dir / "p", {2, 3, 0});
  test::ServerProcess first(dir / "p");
  const int port = first.port();
  ASSERT_GT(port, 0);
  const auto r = test::run_cli({"annotate", (dir / "p").string(), "--port", std::to_string(port)});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bt::server

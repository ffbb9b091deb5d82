// bt_server_fixture DIR [--frames N] [--stride S] [--predicted P] [--width W] [--height H]
//                       [--gop G] [--animals A] [--tracks FILE]
// Makes an annotation project for the browser tests and the benchmarks (server_fixture.h);
// --tracks also writes the mice's tracks (Instances JSON with ids) to FILE.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "server/server_fixture.h"

namespace {

long long parse_number(const char* flag, const char* text) {
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  if (!*text || *end || v < 0) {
    std::fprintf(stderr, "bt_server_fixture: %s: expected a non-negative integer, got '%s'\n", flag, text);
    std::exit(2);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: bt_server_fixture DIR [--frames N] [--stride S] [--predicted P] "
                         "[--width W] [--height H] [--gop G] [--animals A] [--tracks FILE]\n");
    return 2;
  }
  bt::test::FixtureOptions o;
  std::string tracks_file;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--tracks") {
      tracks_file = argv[i + 1];
      continue;
    }
    const long long v = parse_number(argv[i], argv[i + 1]);
    if (flag == "--frames") o.n_frames = v;
    else if (flag == "--stride") o.stride = v;
    else if (flag == "--predicted") o.n_predicted = v;
    else if (flag == "--width") o.width = static_cast<int>(v);
    else if (flag == "--height") o.height = static_cast<int>(v);
    else if (flag == "--gop") o.gop_frames = static_cast<int>(v);
    else if (flag == "--animals") o.expected_animals = static_cast<int>(v);
    else {
      std::fprintf(stderr, "bt_server_fixture: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    bt::test::make_annotation_project(argv[1], o);
    if (!tracks_file.empty()) bt::test::write_fixture_tracks(tracks_file, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bt_server_fixture: %s\n", e.what());
    return 1;
  }
  return 0;
}

// Fixtures shared by the project tests: small index videos (each frame carries its own
// index, tests/video/index_video.h), projects with the DLC skeleton, and error capture.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "behavtrack/core/error.h"
#include "behavtrack/project/project.h"
#include "behavtrack/video/video_writer.h"
#include "test_support.h"
#include "video/index_video.h"

namespace bt::project::test {

// Writes an H.264 video of `n` index frames (64x48 unless given).
inline void make_index_video(const std::filesystem::path& path, int n, int width = 64, int height = 48, int fps = 30) {
  video::WriterOptions o;
  o.width = width;
  o.height = height;
  o.fps = {fps, 1};
  video::VideoWriter w(path, o);
  for (int i = 0; i < n; ++i) w.write(video::test_fixture::index_frame_bgr(i, width, height));
  w.close();
}

inline ProjectOptions dlc_options(int animals = 1) {
  ProjectOptions o;
  o.skeleton = Skeleton::from_names("snout,leftear,rightear,tailbase", "leftear:rightear");
  o.expected_animals = animals;
  return o;
}

inline std::filesystem::path dlc_csv() {
  return bt::test::dlc_dir() / "labeled-data" / "m4s1" / "CollectedData_Pranav.csv";
}

// The message of the bt::Error `f` throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

inline std::size_t files_under(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  std::size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

}  // namespace bt::project::test

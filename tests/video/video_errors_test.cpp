// Every bad input the video unit can meet, with the exact message a user reads.
#include <gtest/gtest.h>

#include <fstream>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/video/video_reader.h"
#include "index_video.h"
#include "test_support.h"

namespace bt::video {
namespace {
namespace fs = std::filesystem;
using test::TempDir;
using test_fixture::decode_index;

constexpr int kFrames = 90;

// An index video made by the ffmpeg CLI; `extra` goes before the output name.
fs::path make_index_video(const TempDir& dir, const std::string& name, std::vector<std::string> extra = {}) {
  const fs::path raw = dir / "raw.bgr";
  if (!fs::exists(raw)) test_fixture::write_raw_bgr(raw, kFrames);
  std::vector<std::string> args = {"-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", "64x48",
                                   "-r", "30", "-i", raw.string(), "-c:v", "libx264", "-g", "30"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back((dir / name).string());
  const auto r = test::run_program("/usr/bin/ffmpeg", args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir / name;
}

fs::path truncated_copy(const fs::path& from, const fs::path& to, double fraction) {
  const std::string bytes = read_file(from);
  std::ofstream(to, std::ios::binary) << bytes.substr(0, static_cast<std::size_t>(bytes.size() * fraction));
  return to;
}

template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no bt::Error thrown";
  return Error(ErrorKind::kInternal, "none");
}

void expect_error(const Error& e, ErrorKind kind, const std::string& message) {
  EXPECT_EQ(e.kind(), kind) << e.what();
  EXPECT_EQ(std::string(e.what()), message);
}

TEST(VideoErrors, MissingFile) {
  TempDir dir;
  const fs::path p = dir / "nope.mp4";
  expect_error(error_of([&] { probe(p); }), ErrorKind::kNotFound, "video '" + p.string() + "': file does not exist");
  expect_error(error_of([&] { VideoReader r(p); }), ErrorKind::kNotFound,
               "video '" + p.string() + "': file does not exist");
}

TEST(VideoErrors, FolderTextAndEmptyFiles) {
  TempDir dir;
  expect_error(error_of([&] { probe(dir.path()); }), ErrorKind::kInvalidInput,
               "video '" + dir.path().string() + "': is a folder, not a video file");
  const fs::path text = dir / "notes.mp4";
  std::ofstream(text) << "these are my notes, not a video\n";
  expect_error(error_of([&] { probe(text); }), ErrorKind::kInvalidInput,
               "video '" + text.string() +
                   "': not a readable video file (Invalid data found when processing input); is it a video, and "
                   "complete?");
  const fs::path empty = dir / "empty.avi";
  std::ofstream(empty).flush();
  expect_error(error_of([&] { VideoReader r(empty); }), ErrorKind::kInvalidInput,
               "video '" + empty.string() +
                   "': not a readable video file (Invalid data found when processing input); is it a video, and "
                   "complete?");
}

TEST(VideoErrors, AudioOnlyFileHasNoVideoStream) {
  TempDir dir;
  const fs::path audio = dir / "tone.m4a";
  const auto r = test::run_program("/usr/bin/ffmpeg",
                                   {"-v", "error", "-f", "lavfi", "-i", "sine=d=1", audio.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_error(error_of([&] { probe(audio); }), ErrorKind::kInvalidInput,
               "video '" + audio.string() + "': no video stream; is this an audio file?");
}

TEST(VideoErrors, IndexOutOfRangeNamesTheValidRange) {
  TempDir dir;
  const fs::path p = make_index_video(dir, "v.mp4");
  VideoReader reader(p);
  for (const FrameIndex bad : {FrameIndex{-1}, FrameIndex{kFrames}, FrameIndex{1} << 40})
    expect_error(error_of([&] { reader.read_at(bad); }), ErrorKind::kNotFound,
                 "video '" + p.string() + "': frame " + std::to_string(bad) + " is out of range; valid frames are 0.." +
                     std::to_string(kFrames - 1));
  EXPECT_EQ(decode_index(reader.frame(kFrames - 1)), kFrames - 1) << "the reader still works after the errors";
}

TEST(VideoErrors, BadReaderOptions) {
  TempDir dir;
  const fs::path p = make_index_video(dir, "v.mp4");
  ReaderOptions o;
  o.decoder_threads = -2;
  expect_error(error_of([&] { VideoReader r(p, o); }), ErrorKind::kInvalidInput,
               "video reader options: decoder_threads = -2 must be in [0, 64]");
  o.decoder_threads = 1000000;  // would exhaust the memory with one decoder context per thread
  expect_error(error_of([&] { VideoReader r(p, o); }), ErrorKind::kInvalidInput,
               "video reader options: decoder_threads = 1000000 must be in [0, 64]");
}

// MP4 with its index first (+faststart), cut at 60%: the frames before the cut decode
// exactly, then the reader names the file and the frame where it broke.
TEST(VideoErrors, TruncatedMp4DecodesUpToTheBreakThenFails) {
  TempDir dir;
  const fs::path whole = make_index_video(dir, "whole.mp4", {"-movflags", "+faststart"});
  const fs::path cut = truncated_copy(whole, dir / "cut.mp4", 0.6);
  const VideoInfo info = probe(cut);
  ASSERT_GT(info.n_frames, 10);
  ASSERT_LT(info.n_frames, kFrames);
  const std::string damage = "damaged after frame " + std::to_string(info.n_frames - 1) +
                             " (incomplete or corrupt data)";
  EXPECT_EQ(info.damage, damage);

  VideoReader reader(cut);
  Frame f;
  FrameIndex n = 0;
  const Error e = error_of([&] {
    while (reader.read(f)) {
      EXPECT_EQ(decode_index(f.image), n);
      ++n;
    }
  });
  EXPECT_EQ(n, info.n_frames);
  expect_error(e, ErrorKind::kIo, "video '" + cut.string() + "': cannot read frame " + std::to_string(n) + "; " + damage);
  EXPECT_EQ(decode_index(reader.frame(n / 2)), n / 2) << "random access before the break still works";
}

// Matroska streams end without an error when cut; the declared duration tells.
TEST(VideoErrors, TruncatedMatroskaIsReportedFromItsDeclaredDuration) {
  TempDir dir;
  const fs::path whole = make_index_video(dir, "whole.mkv");
  EXPECT_EQ(probe(whole).damage, "");
  const fs::path cut = truncated_copy(whole, dir / "cut.mkv", 0.6);
  const VideoInfo info = probe(cut);
  ASSERT_GT(info.n_frames, 10);
  ASSERT_LT(info.n_frames, kFrames);
  EXPECT_EQ(info.damage.rfind("damaged after frame " + std::to_string(info.n_frames - 1) +
                                  " (truncated, the frames end at ", 0),
            0u)
      << info.damage;
  EXPECT_NE(info.damage.find("of the 3.000 s the file declares)"), std::string::npos) << info.damage;
  VideoReader reader(cut);
  Frame f;
  const Error e = error_of([&] {
    while (reader.read(f)) EXPECT_EQ(decode_index(f.image), f.index);
  });
  expect_error(e, ErrorKind::kIo,
               "video '" + cut.string() + "': cannot read frame " + std::to_string(info.n_frames) + "; " + info.damage);
}

// Without its index (moov atom at the end) a cut MP4 cannot be opened at all.
TEST(VideoErrors, TruncatedMp4WithoutItsIndexIsUnreadable) {
  TempDir dir;
  const fs::path cut = truncated_copy(make_index_video(dir, "whole.mp4"), dir / "cut.mp4", 0.6);
  expect_error(error_of([&] { probe(cut); }), ErrorKind::kInvalidInput,
               "video '" + cut.string() +
                   "': not a readable video file (Invalid data found when processing input); is it a video, and "
                   "complete?");
}

// Garbage over part of the picture data: the frames before it decode exactly, then the
// first frame that cannot be decoded is named.
TEST(VideoErrors, CorruptDataInTheMiddleNamesTheFrame) {
  TempDir dir;
  const fs::path whole = make_index_video(dir, "whole.mp4", {"-movflags", "+faststart"});
  std::string bytes = read_file(whole);
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 600; ++i) bytes[i] = static_cast<char>(i * 37);
  const fs::path bad = dir / "bad.mp4";
  std::ofstream(bad, std::ios::binary) << bytes;
  VideoReader reader(bad);
  Frame f;
  FrameIndex n = 0;
  const Error e = error_of([&] {
    while (reader.read(f)) {
      ASSERT_EQ(decode_index(f.image), n) << "a corrupt frame was returned as good";
      ++n;
    }
  });
  EXPECT_GT(n, 10);
  EXPECT_LT(n, kFrames);
  expect_error(e, ErrorKind::kIo, "video '" + bad.string() + "': cannot decode frame " + std::to_string(n) +
                                      "; its data is corrupt");
}

}  // namespace
}  // namespace bt::video

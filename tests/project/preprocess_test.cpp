// `video preprocess` and video registration: the libavfilter chain against the ffmpeg CLI,
// folder defaults, trimming, skipping complete outputs, relinking moved videos.
#include <opencv2/imgproc.hpp>
#include <thread>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/project/preprocess.h"
#include "behavtrack/project/sampler.h"
#include "behavtrack/project/videos.h"
#include "behavtrack/video/video_reader.h"
#include "project_fixtures.h"

namespace bt::project {
namespace {

namespace fs = std::filesystem;
using bt::test::TempDir;
using namespace bt::project::test;

std::vector<cv::Mat> decode_gray(const fs::path& file) {
  video::ReaderOptions o;
  o.output = video::PixelFormat::kGray;
  video::VideoReader r(file, o);
  std::vector<cv::Mat> out;
  video::Frame f;
  while (r.read(f)) out.push_back(f.image.clone());
  return out;
}

TEST(ProjectPreprocess, MatchesTheFfmpegCommandLineDoingTheSameChain) {
  TempDir tmp;
  make_index_video(tmp / "a.mp4", 60, 128, 96, 30);
  Project p = Project::create(tmp / "p", {});
  add_video_file(p, tmp / "a.mp4");
  PreprocessOptions o;
  o.fps = 15;
  o.width = 64;
  o.height = 48;
  o.gamma = 1.8;
  o.brightness = 0.17;
  o.contrast = 1.3;
  const PreprocessSummary s = preprocess_videos(p, o, {});
  ASSERT_EQ(s.videos, 1);
  EXPECT_EQ(s.frames_out, 30);
  const VideoRecord out = p.get_video(s.outputs.at(0));
  EXPECT_EQ(out.source_video_id, 1);
  EXPECT_EQ(out.width, 64);
  EXPECT_EQ(out.n_frames, 30);
  EXPECT_NE(out.options_json.find("format=gray,eq=gamma=1.8:brightness=0.17:contrast=1.3,scale=64:48:flags=lanczos,fps=15"),
            std::string::npos);
  EXPECT_DOUBLE_EQ(source_time_s(out, 10), 10.0 / 15);
  const std::string chain = preprocess_filter_chain(o, 64, 48, 15);
  const auto r = bt::test::run_program("/usr/bin/ffmpeg", {"-v", "error", "-y", "-i", (tmp / "a.mp4").string(), "-vf", chain,
                                                           "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt",
                                                           "yuv420p", (tmp / "ff.mp4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ours = decode_gray(out.path), theirs = decode_gray(tmp / "ff.mp4");
  ASSERT_EQ(ours.size(), theirs.size());
  auto diff = [](const cv::Mat& a, const cv::Mat& b) {
    cv::Mat d;
    cv::absdiff(a, b, d);
    return cv::mean(d)[0];
  };
  for (std::size_t i = 0; i + 1 < ours.size(); ++i) {
    // The same pictures up to encoder noise (measured 2-7 levels at this 64x48 size: the
    // two encoders' settings differ), and the same frame, not a neighbour.
    EXPECT_LT(diff(ours[i], theirs[i]), 8.0) << "frame " << i;
    EXPECT_LT(diff(ours[i], theirs[i]), diff(ours[i], theirs[i + 1])) << "frame " << i;
  }
}

TEST(ProjectPreprocess, FolderDefaultsTrimAndSkippingCompleteOutputs) {
  TempDir tmp;
  make_index_video(tmp / "a.mp4", 60, 64, 48, 30);
  make_index_video(tmp / "b.mp4", 50, 80, 40, 25);
  Project p = Project::create(tmp / "p", {});
  add_video_file(p, tmp / "a.mp4");
  add_video_file(p, tmp / "b.mp4");
  PreprocessOptions o;
  o.duration_s = 1.0;
  PreprocessSummary s = preprocess_videos(p, o, {});
  EXPECT_EQ(s.videos, 2);
  EXPECT_EQ(s.fps, 25);     // the smaller frame rate
  EXPECT_EQ(s.width, 64);   // the smaller width
  EXPECT_EQ(s.height, 40);  // the smaller height, taken independently
  EXPECT_EQ(s.frames_out, 50);  // 1 s at 25 fps, each
  s = preprocess_videos(p, o, {});
  EXPECT_EQ(s.videos, 0);
  EXPECT_EQ(s.skipped, 2);
  // Different options make new outputs next to the old ones.
  o.gray = false;
  s = preprocess_videos(p, o, {});
  EXPECT_EQ(s.videos, 2);
  EXPECT_EQ(p.list_videos().size(), 6u);
}

TEST(ProjectPreprocess, SamplingUsesThePreprocessedOutputsInsteadOfTheOriginals) {
  TempDir tmp;
  make_index_video(tmp / "a.mp4", 60, 64, 48, 30);
  Project p = Project::create(tmp / "p", {});
  add_video_file(p, tmp / "a.mp4");
  PreprocessOptions o;
  o.fps = 10;
  const PreprocessSummary pre = preprocess_videos(p, o, {});
  SampleOptions so;
  so.n = 5;
  so.every_frames = 2;
  so.k = 2;
  const SampleSummary s = sample_frames(p, so, {});
  EXPECT_EQ(s.candidates, 10);  // 20 frames at 10 fps, every 2nd
  FrameQuery q;
  q.limit = 0;
  for (const FrameRecord& f : p.list_frames(q).frames) {
    EXPECT_EQ(f.video_id, pre.outputs.at(0));
    EXPECT_TRUE(fs::exists(p.resolve(f.image_path)));
  }
}

TEST(ProjectPreprocess, OptionsAreValidatedNamingFieldAndValue) {
  PreprocessOptions o;
  o.width = 63;
  EXPECT_EQ(error_of([&] { o.validate(); }),
            "preprocess options: width 63: must be an even number of pixels (0 = the folder's smallest)");
  o = {};
  o.codec = "vp9";
  EXPECT_EQ(error_of([&] { o.validate(); }), "preprocess options: codec 'vp9': must be libx264 or libx265");
  o = {};
  o.gamma = std::nan("");
  EXPECT_EQ(error_of([&] { o.validate(); }), "preprocess options: gamma nan: must be in 0.1..10");
}

TEST(ProjectVideos, AddTwiceIsANoOpAndAMovedVideoIsRelinkedByHash) {
  TempDir tmp;
  make_index_video(tmp / "a.mp4", 20);
  const std::string dir = (tmp / "p").string();
  ASSERT_EQ(bt::test::run_cli({"project", "init", dir}).exit_code, 0);
  auto r = bt::test::run_cli({"video", "add", dir, (tmp / "a.mp4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("a.mp4 added (64x48, 30.000 fps, 20 frames"), std::string::npos) << r.out;
  r = bt::test::run_cli({"video", "add", dir, (tmp / "a.mp4").string()});
  EXPECT_NE(r.out.find("already registered"), std::string::npos) << r.out;
  fs::create_directories(tmp / "moved");
  fs::rename(tmp / "a.mp4", tmp / "moved" / "renamed.mp4");
  EXPECT_TRUE(Project::open(tmp / "p").list_videos().at(0).missing);
  r = bt::test::run_cli({"video", "relink", dir, (tmp / "moved" / "renamed.mp4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto videos = Project::open(tmp / "p").list_videos();
  ASSERT_EQ(videos.size(), 1u);
  EXPECT_FALSE(videos[0].missing);
  EXPECT_EQ(videos[0].path.filename(), "renamed.mp4");
  make_index_video(tmp / "other.mp4", 10);
  r = bt::test::run_cli({"video", "relink", dir, (tmp / "other.mp4").string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("other.mp4': its content matches no registered video"), std::string::npos) << r.err;
  r = bt::test::run_cli({"video", "add", dir, (tmp / "nope.mp4").string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("nope.mp4': no such file"), std::string::npos) << r.err;
}

TEST(ProjectVideos, VideosInsideTheProjectAreStoredRelativeSoTheFolderCanMove) {
  TempDir tmp;
  Project::create(tmp / "p", {});
  make_index_video(tmp / "p" / "media" / "videos" / "in.mp4", 10);
  {
    Project p = Project::open(tmp / "p");
    add_video_file(p, tmp / "p" / "media" / "videos" / "in.mp4");
  }
  fs::rename(tmp / "p", tmp / "q");
  const auto v = Project::open(tmp / "q").list_videos().at(0);
  EXPECT_FALSE(v.missing);
  EXPECT_EQ(v.path, tmp / "q" / "media" / "videos" / "in.mp4");
}

TEST(ProjectConcurrency, ReadersSeeCommittedEditsAndConcurrentWritersConflictCleanly) {
  TempDir tmp;
  Project writer = Project::create(tmp / "p", {});
  const FrameId id = writer.add_frames({{std::nullopt, 0, "media/frames/a.png", "a.png", -1, {}}})[0];
  Project reader = Project::open(tmp / "p");
  Annotation a;
  a.instance.box = Box{1, 1, 5, 5};
  a.instance.keypoints.assign(4, Keypoint{2, 2, Visibility::kVisible});
  EXPECT_EQ(writer.put_frame(id, {a}, 0, "w").status, PutStatus::kOk);
  EXPECT_EQ(reader.get_frame(id).instances.size(), 1u);
  // Two threads, each with its own connection, save on top of version 1: one wins.
  std::vector<PutStatus> results(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      Project mine = Project::open(tmp / "p");
      results[t] = mine.put_frame(id, {a, a}, 1, "t" + std::to_string(t)).status;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(results.begin(), results.end(), PutStatus::kOk), 1);
  EXPECT_EQ(std::count(results.begin(), results.end(), PutStatus::kConflict), 1);
  EXPECT_EQ(reader.get_frame(id).version, 2);
}

}  // namespace
}  // namespace bt::project

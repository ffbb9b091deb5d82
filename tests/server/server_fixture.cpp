#include "server/server_fixture.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "behavtrack/core/instances_json.h"
#include "behavtrack/project/frame_images.h"
#include "behavtrack/project/project.h"
#include "behavtrack/video/video_info.h"
#include "behavtrack/video/video_writer.h"

namespace bt::test {
namespace fs = std::filesystem;

namespace {

// Mouse m's body centre at video frame f: slow circles, so predictions move between frames.
cv::Point2d mouse_centre(int m, std::int64_t f, int width, int height) {
  const double t = f * 0.05 + m * 3.0;
  return {width * (0.3 + 0.4 * m) + 20 * std::cos(t), height * 0.55 + 20 * std::sin(t)};
}

void write_video(const fs::path& path, const FixtureOptions& o, std::int64_t n_video_frames) {
  video::WriterOptions w;
  w.width = o.width;
  w.height = o.height;
  w.gop_frames = o.gop_frames;
  w.preset = "ultrafast";
  video::VideoWriter writer(path, w);
  for (std::int64_t f = 0; f < n_video_frames; ++f) {
    cv::Mat img(o.height, o.width, CV_8UC3, cv::Scalar(60, 60, 60));
    for (int m = 0; m < 2; ++m)
      cv::ellipse(img, mouse_centre(m, f, o.width, o.height), {22, 12}, 0, 0, 360, cv::Scalar(220, 220, 220), -1);
    cv::putText(img, std::to_string(f), {8, 40}, cv::FONT_HERSHEY_SIMPLEX, 1.2, cv::Scalar(255, 255, 255), 2);
    writer.write(img);
  }
  writer.close();
}

Instance predicted_mouse(int m, std::int64_t f, const FixtureOptions& o) {
  const cv::Point2d c = mouse_centre(m, f, o.width, o.height);
  Instance in;
  in.box = Box::from_cxcywh(c.x, c.y, 50, 30);
  in.keypoints = {{c.x + 20, c.y, Visibility::kVisible},
                  {c.x + 10, c.y - 8, Visibility::kVisible},
                  {c.x + 10, c.y + 8, Visibility::kVisible},
                  {c.x - 20, c.y, Visibility::kVisible}};
  in.keypoint_scores = {0.95f, 0.95f, 0.95f, 0.95f};
  in.score = 0.9f;
  return in;
}

}  // namespace

void write_fixture_tracks(const fs::path& file, const FixtureOptions& o) {
  InstancesFile tracks;
  tracks.header.video = "video.mp4";
  tracks.header.fps = 30;
  tracks.header.width = o.width;
  tracks.header.height = o.height;
  for (std::int64_t f = 0; f < o.n_frames * o.stride; ++f) {
    FrameInstances frame{f, {}};
    for (int m = 0; m < 2; ++m) {
      Instance in = predicted_mouse(m, f, o);
      in.id = TrackId(fixture_track_id(m));
      frame.instances.push_back(in);
    }
    tracks.frames.push_back(frame);
  }
  write_instances_json(file, tracks);
}

void make_annotation_project(const fs::path& dir, const FixtureOptions& o) {
  project::ProjectOptions po;
  po.expected_animals = o.expected_animals;
  auto p = project::Project::create(dir, po);
  const fs::path video_path = dir / "media" / "video.mp4";
  fs::create_directories(video_path.parent_path());
  write_video(video_path, o, o.n_frames * o.stride);

  const video::VideoInfo info = video::probe(video_path);
  project::VideoRecord v;
  v.path = video_path;
  v.hash = project::content_hash(video_path);
  v.fps = info.fps_value();
  v.width = info.width;
  v.height = info.height;
  v.n_frames = info.n_frames;
  v.duration_s = info.duration_s;
  v.key_frames = info.key_frames;
  const project::VideoId video_id = p.add_video(v);

  std::vector<project::NewFrame> frames;
  for (std::int64_t k = 0; k < o.n_frames; ++k) {
    project::NewFrame f;
    f.video_id = video_id;
    f.frame_index = k * o.stride;
    f.name = "video_frame_" + std::to_string(f.frame_index);
    if (k < o.n_cached) f.image_path = project::frame_image_path(p.get_video(video_id), f.frame_index);
    frames.push_back(f);
  }
  const std::vector<project::FrameId> ids = p.add_frames(frames);
  std::vector<std::pair<project::VideoId, FrameIndex>> cached;
  for (std::int64_t k = 0; k < std::min(o.n_cached, o.n_frames); ++k) cached.push_back({video_id, k * o.stride});
  project::cache_frame_images(p, cached, {});

  std::vector<std::pair<project::FrameId, std::vector<Instance>>> predictions;
  for (std::int64_t k = 0; k < std::min<std::int64_t>(o.n_predicted, o.n_frames); ++k)
    predictions.push_back({ids[k], {predicted_mouse(0, k * o.stride, o), predicted_mouse(1, k * o.stride, o)}});
  p.write_predictions(predictions, "fixture");

  const project::Split order[] = {project::Split::kTrain, project::Split::kVal, project::Split::kTest};
  std::vector<std::pair<project::FrameId, project::Split>> splits;
  for (std::size_t i = 0; i < ids.size(); ++i) splits.push_back({ids[i], order[i % 3]});
  p.add_cycle(1, "{}", splits);
}

}  // namespace bt::test

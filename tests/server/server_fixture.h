// Test and benchmark projects for the annotation server, made with the real store and a
// real encoded video.
//
//   bt::test::FixtureOptions o;  o.n_frames = 10;
//   bt::test::make_annotation_project("/tmp/p", o);
//
// The video (media/video.mp4) is gray with the frame index drawn large and two bright
// "mice" per frame; frames k * stride are registered (names "video_frame_<k>"), the first
// `n_predicted` of them with two unconfirmed predicted instances, and a cycle assigns them
// to train/val/test round-robin; the first `n_cached` have their image in the project's
// frame cache (media/frames/, PNG). Deterministic.
//
//   bt::test::write_fixture_tracks("/tmp/tracks.json", o);   // the mice's tracks, ids 1..2
//
// The tracks (Instances JSON naming video.mp4) hold both mice on every video frame, with
// the same boxes and keypoints as the predictions; the right-hand mouse is id 1 and the
// left-hand one id 2 (so identity order is not screen order).
#pragma once

#include <cstdint>
#include <filesystem>

namespace bt::test {

struct FixtureOptions {
  std::int64_t n_frames = 10;        // sampled frames registered in the project
  std::int64_t stride = 3;           // video frames between sampled frames
  std::int64_t n_predicted = 2;      // sampled frames that get predictions
  int width = 320, height = 240;     // video size, pixels
  int gop_frames = 15;               // key frame interval of the video
  int expected_animals = 2;
  std::int64_t n_cached = 0;         // first sampled frames whose PNG is in the frame cache
};

void make_annotation_project(const std::filesystem::path& dir, const FixtureOptions& options);
void write_fixture_tracks(const std::filesystem::path& file, const FixtureOptions& options);
// The id write_fixture_tracks gives the fixture's mouse m (0: left, 1: right).
inline int fixture_track_id(int m) { return 2 - m; }

}  // namespace bt::test

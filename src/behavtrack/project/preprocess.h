// Video preprocessing (BehavTrack step 1, shared/reference/behavtrack.md), in-process on
// FFmpeg's libavfilter: decode -> `format=gray, eq=gamma:brightness:contrast,
// scale=W:H:flags=lanczos, fps=F` -> trim to a duration -> x264 (default) or x265.
//
//   bt::project::PreprocessOptions o;  o.gamma = 1.8;  o.brightness = 0.17;  o.contrast = 1.3;
//   bt::project::PreprocessSummary s = bt::project::preprocess_videos(project, o, progress);
//
// With no fps or size given, every output gets the smallest (rounded) frame rate and the
// smallest width and height (each taken independently, rounded down to even) of the
// project's videos, as BehavTrack does, so a folder shares one fps and size.
// Outputs go to media/videos/<stem>-<options hash>.mp4 and are registered as videos whose
// source_video_id is the original and whose options_json records the source, its hash and
// every option. Output frame k shows the source frame nearest to time k / fps (the fps
// filter's rounding; trimming keeps the start), see source_time_s(). Decoding overlaps
// filtering and encoding (two threads per video). Videos run in parallel (`jobs`); an output already
// registered with the same options and whose file is complete is skipped; an output
// appears only when finished (atomic), so a killed run resumes by redoing unfinished ones.
// Thread safety: preprocess_videos uses the Project from the calling thread and runs
// videos on worker threads internally.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "behavtrack/core/progress.h"
#include "behavtrack/project/project.h"

namespace bt::project {

struct PreprocessOptions {
  double fps = 0;                 // output frames per second; 0 = smallest of the videos (rounded)
  int width = 0, height = 0;      // output pixels; 0 = smallest of the videos (even)
  bool gray = true;               // format=gray (BehavTrack); false keeps colour
  double gamma = 1.0;             // eq gamma, 0.1..10 (BehavTrack uses 1.8)
  double brightness = 0.0;        // eq brightness, -1..1 (BehavTrack uses 0.17)
  double contrast = 1.0;          // eq contrast, -1000..1000 (BehavTrack uses 1.3)
  double duration_s = 0;          // keep the first duration_s seconds; 0 = all (BehavTrack: 900)
  std::string codec = "libx264";  // libx264 or libx265
  int crf = 20;                   // encoder quality, 0..51 (lower is better)
  std::string preset = "veryfast";
  int jobs = 0;                   // videos at once; 0 = the core count

  void validate() const;  // throws bt::Error naming the field and value
};

struct PreprocessSummary {
  std::int64_t videos = 0;      // outputs written
  std::int64_t skipped = 0;     // complete outputs already there
  std::int64_t frames_out = 0;  // frames written
  double fps = 0;
  int width = 0, height = 0;
  std::vector<VideoId> outputs;
};

PreprocessSummary preprocess_videos(Project& project, const PreprocessOptions& options, const ProgressCallback& progress);

// The libavfilter chain for an output of this size and rate (also what the ffmpeg CLI
// would be given with -vf to do the same).
std::string preprocess_filter_chain(const PreprocessOptions& options, int width, int height, double fps);

// Source time (seconds) shown by frame `index` of a preprocessed output.
double source_time_s(const VideoRecord& output, FrameIndex index);

// Runs the chain on one file (no project): the unit behind preprocess_videos, for
// benchmarks and tests. Returns frames written; `out` appears only when complete.
std::int64_t preprocess_file(const std::filesystem::path& in, const std::filesystem::path& out,
                             const PreprocessOptions& options, int width, int height, double fps,
                             const ProgressCallback& progress);

}  // namespace bt::project

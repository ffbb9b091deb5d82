// Frame sampling for annotation (BehavTrack step 2, shared/reference/behavtrack.md).
//
//   bt::project::SampleOptions o;  o.n = 2000;  o.every_frames = 50;  o.k = 8;  o.seed = 42;
//   bt::project::SampleSummary s = bt::project::sample_frames(project, o, progress);
//
// Candidates are every `every_frames`-th frame of every video of the project (a video's
// preprocessed output when it has one). Each candidate gets BehavTrack's appearance
// feature (gray, 5x5 Gaussian blur, 256-bin histogram, L2-normalised); k-means over all
// videos pooled (k clusters, seeded, `kmeans_restarts` restarts) gives its stratum.
//   appearance: per stratum quota max(1, floor(count / total * n)), corrected to exactly n
//               round-robin (never below 1, never above the stratum's count); a seeded
//               shuffle inside each stratum picks the frames. All frames when <= n.
//   uniform:    n frames evenly spaced in time over the pooled candidates (strata still
//               recorded, so splits can be stratified).
// Frames are decoded frame-exact (VideoReader) and cached as PNG; stratum and feature are
// stored with each frame. The same options and videos give the same frames. Frames are
// registered in one transaction at the end: a killed run registers nothing and a rerun
// reuses the images already cached.
// Thread safety: sample_frames uses the Project given from the calling thread; videos are
// decoded on worker threads internally.
#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "behavtrack/core/progress.h"
#include "behavtrack/project/project.h"

namespace bt::project {

enum class SamplingStrategy { kAppearance, kUniform };
const char* to_string(SamplingStrategy s);
SamplingStrategy sampling_strategy_from_string(const std::string& s);

struct SampleOptions {
  std::int64_t n = 2000;          // frames to sample in total
  std::int64_t every_frames = 50; // candidate stride, frames
  int k = 8;                      // appearance strata (k-means clusters)
  std::uint64_t seed = 42;
  int kmeans_restarts = 10;
  SamplingStrategy strategy = SamplingStrategy::kAppearance;
  int threads = 0;                // videos decoded at once; 0 = the core count

  void validate() const;  // throws bt::Error naming the field and value
};

struct SampleSummary {
  std::int64_t videos = 0;
  std::int64_t candidates = 0;
  std::int64_t sampled = 0;
  std::vector<std::int64_t> per_stratum;  // frames taken from each stratum
};

SampleSummary sample_frames(Project& project, const SampleOptions& options, const ProgressCallback& progress);

// ---- the algorithm's pieces, exposed for tests ----
// BehavTrack's appearance feature of a BGR or gray 8-bit image: 256 floats, L2 norm 1.
std::vector<float> appearance_feature(const cv::Mat& image);
// Per-stratum quotas for strata of the given sizes (see the header comment).
std::vector<std::int64_t> stratum_quotas(const std::vector<std::int64_t>& counts, std::int64_t n);
// k-means labels (0..k-1) of the rows of `features` (CV_32F, one row each), seeded.
std::vector<int> kmeans_strata(const cv::Mat& features, int k, std::uint64_t seed, int restarts);
// A seeded Fisher-Yates permutation of 0..n-1, the same on every platform.
std::vector<std::int64_t> seeded_permutation(std::int64_t n, std::uint64_t seed);

}  // namespace bt::project

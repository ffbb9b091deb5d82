#include "behavtrack/project/sampler.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <thread>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/core/runtime.h"
#include "behavtrack/project/frame_images.h"
#include "behavtrack/video/video_reader.h"

namespace bt::project {

const char* to_string(SamplingStrategy s) { return s == SamplingStrategy::kAppearance ? "appearance" : "uniform"; }

SamplingStrategy sampling_strategy_from_string(const std::string& s) {
  if (s == "appearance") return SamplingStrategy::kAppearance;
  if (s == "uniform") return SamplingStrategy::kUniform;
  throw_invalid("strategy " + bt::quoted(s) + ": expected appearance or uniform");
}

void SampleOptions::validate() const {
  if (n < 1) throw_invalid("sample options: n " + std::to_string(n) + ": must be >= 1");
  if (every_frames < 1) throw_invalid("sample options: every_frames " + std::to_string(every_frames) + ": must be >= 1");
  if (k < 1 || k > 1000) throw_invalid("sample options: k " + std::to_string(k) + ": must be between 1 and 1000");
  if (kmeans_restarts < 1) throw_invalid("sample options: kmeans_restarts " + std::to_string(kmeans_restarts) + ": must be >= 1");
  if (threads < 0) throw_invalid("sample options: threads " + std::to_string(threads) + ": must be >= 0");
}

std::vector<float> appearance_feature(const cv::Mat& image) {
  // ref: BehavTrack step 2 (shared/reference/behavtrack.md): gray, GaussianBlur 5x5,
  // 256-bin histogram, L2 normalisation.
  cv::Mat gray;
  if (image.channels() == 3) cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
  else gray = image;
  cv::Mat blurred;
  cv::GaussianBlur(gray, blurred, cv::Size(5, 5), 0);
  std::vector<float> hist(256, 0.0f);
  for (int y = 0; y < blurred.rows; ++y) {
    const std::uint8_t* row = blurred.ptr<std::uint8_t>(y);
    for (int x = 0; x < blurred.cols; ++x) hist[row[x]] += 1.0f;
  }
  double norm = 0;
  for (float h : hist) norm += static_cast<double>(h) * h;
  norm = std::sqrt(norm);
  if (norm > 0)
    for (float& h : hist) h = static_cast<float>(h / norm);
  return hist;
}

std::vector<std::int64_t> stratum_quotas(const std::vector<std::int64_t>& counts, std::int64_t n) {
  const std::int64_t total = std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
  std::vector<std::int64_t> q(counts.size(), 0);
  if (total <= n) return counts;  // fewer candidates than asked: all of them
  // max(1, floor(count / total * n)) for every non-empty stratum.
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0) q[i] = std::min(counts[i], std::max<std::int64_t>(1, counts[i] * n / total));
  std::int64_t sum = std::accumulate(q.begin(), q.end(), std::int64_t{0});
  // Correct the sum to n round-robin over the strata in order: add where frames remain,
  // remove where more than one is taken.
  while (sum < n) {
    bool changed = false;
    for (std::size_t i = 0; i < q.size() && sum < n; ++i)
      if (q[i] < counts[i]) ++q[i], ++sum, changed = true;
    if (!changed) break;
  }
  while (sum > n) {
    bool changed = false;
    for (std::size_t i = 0; i < q.size() && sum > n; ++i)
      if (q[i] > 1) --q[i], --sum, changed = true;
    if (!changed) break;  // n < number of non-empty strata: one each (BehavTrack's floor)
  }
  return q;
}

std::vector<std::int64_t> seeded_permutation(std::int64_t n, std::uint64_t seed) {
  std::vector<std::int64_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  std::mt19937_64 rng(seed);  // mt19937_64's sequence is fixed by the standard
  for (std::int64_t i = n - 1; i > 0; --i) {
    // Unbiased draw in [0, i] by rejection, independent of the library's distributions.
    const std::uint64_t range = static_cast<std::uint64_t>(i) + 1;
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
    std::uint64_t r;
    do r = rng();
    while (r >= limit);
    std::swap(p[i], p[static_cast<std::int64_t>(r % range)]);
  }
  return p;
}

std::vector<int> kmeans_strata(const cv::Mat& features, int k, std::uint64_t seed, int restarts) {
  const int rows = features.rows;
  if (rows == 0) return {};
  const int clusters = std::min(k, rows);
  if (clusters == 1) return std::vector<int>(rows, 0);
  // cv::kmeans draws its k-means++ seeds from the thread's RNG: seed it for reproducibility.
  cv::theRNG() = cv::RNG(seed);
  cv::Mat labels, centers;
  cv::kmeans(features, clusters, labels, cv::TermCriteria(cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 300, 1e-6),
             restarts, cv::KMEANS_PP_CENTERS, centers);
  // Number strata by their first frame so the numbering does not depend on the RNG path.
  std::vector<int> remap(clusters, -1), out(rows);
  int next = 0;
  for (int i = 0; i < rows; ++i) {
    int& r = remap[labels.at<int>(i)];
    if (r < 0) r = next++;
    out[i] = r;
  }
  return out;
}

namespace {

struct Candidate {
  VideoId video = 0;
  FrameIndex index = 0;
  std::vector<float> feature;
};

// The videos to sample: a video's preprocessed output replaces it.
std::vector<VideoRecord> sampling_videos(const Project& p) {
  const auto all = p.list_videos();
  std::vector<VideoRecord> out;
  for (const VideoRecord& v : all) {
    const bool replaced = std::any_of(all.begin(), all.end(), [&](const VideoRecord& o) {
      return o.source_video_id && *o.source_video_id == v.id;
    });
    if (!replaced) out.push_back(v);
  }
  return out;
}

std::vector<Candidate> read_candidates(const std::vector<VideoRecord>& videos, const SampleOptions& o,
                                       const ProgressCallback& progress) {
  std::int64_t total = 0;
  for (const auto& v : videos) total += (v.n_frames + o.every_frames - 1) / o.every_frames;
  Progress bar("sample: read frames", total, progress);
  std::vector<std::vector<Candidate>> per_video(videos.size());
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto worker = [&] {
    for (std::size_t i = next++; i < videos.size(); i = next++) {
      try {
        const VideoRecord& v = videos[i];
        if (v.missing) throw_not_found("video " + bt::quoted(v.path.string()) + ": file not found; use `behavtrack video relink`");
        video::ReaderOptions ro;
        ro.output = video::PixelFormat::kGray;
        video::VideoReader reader(v.path, ro);
        video::Frame f;
        while (reader.read(f)) {
          if (f.index % o.every_frames != 0) continue;
          per_video[i].push_back({v.id, f.index, appearance_feature(f.image)});
          bar.advance();
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = videos.size();
      }
    }
  };
  const int n_threads = std::max(1, std::min<int>(o.threads > 0 ? o.threads : compute_threads(), static_cast<int>(videos.size())));
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  bar.finish();
  std::vector<Candidate> out;
  for (auto& pv : per_video) std::move(pv.begin(), pv.end(), std::back_inserter(out));
  return out;
}

std::vector<std::size_t> pick_appearance(const std::vector<int>& strata, int k, const SampleOptions& o,
                                         std::vector<std::int64_t>& per_stratum) {
  std::vector<std::vector<std::size_t>> members(k);
  for (std::size_t i = 0; i < strata.size(); ++i) members[strata[i]].push_back(i);
  std::vector<std::int64_t> counts(k);
  for (int s = 0; s < k; ++s) counts[s] = static_cast<std::int64_t>(members[s].size());
  per_stratum = stratum_quotas(counts, o.n);
  std::vector<std::size_t> picked;
  for (int s = 0; s < k; ++s) {
    // A distinct, seed-derived shuffle per stratum.
    const auto perm = seeded_permutation(counts[s], o.seed * 1000003ULL + static_cast<std::uint64_t>(s));
    for (std::int64_t j = 0; j < per_stratum[s]; ++j) picked.push_back(members[s][perm[j]]);
  }
  return picked;
}

std::vector<std::size_t> pick_uniform(std::size_t n_candidates, std::int64_t n) {
  std::vector<std::size_t> picked;
  if (static_cast<std::int64_t>(n_candidates) <= n) {
    picked.resize(n_candidates);
    std::iota(picked.begin(), picked.end(), 0);
    return picked;
  }
  // The centre of each of n equal slices of the pooled timeline.
  for (std::int64_t i = 0; i < n; ++i)
    picked.push_back(static_cast<std::size_t>((2 * i + 1) * static_cast<std::int64_t>(n_candidates) / (2 * n)));
  return picked;
}

}  // namespace

SampleSummary sample_frames(Project& p, const SampleOptions& o, const ProgressCallback& progress) {
  o.validate();
  const std::vector<VideoRecord> videos = sampling_videos(p);
  if (videos.empty()) throw_invalid("sample: the project has no videos; add some with `behavtrack video add`");
  std::vector<Candidate> cands = read_candidates(videos, o, progress);
  SampleSummary s;
  s.videos = static_cast<std::int64_t>(videos.size());
  s.candidates = static_cast<std::int64_t>(cands.size());
  if (cands.empty()) throw_invalid("sample: the videos hold no frames");
  cv::Mat features(static_cast<int>(cands.size()), 256, CV_32F);
  for (std::size_t i = 0; i < cands.size(); ++i)
    std::copy(cands[i].feature.begin(), cands[i].feature.end(), features.ptr<float>(static_cast<int>(i)));
  const std::vector<int> strata = kmeans_strata(features, o.k, o.seed, o.kmeans_restarts);
  const int k = strata.empty() ? 0 : *std::max_element(strata.begin(), strata.end()) + 1;
  std::vector<std::size_t> picked;
  if (o.strategy == SamplingStrategy::kAppearance) {
    picked = pick_appearance(strata, k, o, s.per_stratum);
  } else {
    picked = pick_uniform(cands.size(), o.n);
    s.per_stratum.assign(k, 0);
    for (std::size_t i : picked) ++s.per_stratum[strata[i]];
  }
  std::sort(picked.begin(), picked.end());
  std::vector<std::pair<VideoId, FrameIndex>> to_cache;
  for (std::size_t i : picked) to_cache.emplace_back(cands[i].video, cands[i].index);
  cache_frame_images(p, to_cache, progress);
  std::vector<NewFrame> rows;
  for (std::size_t i : picked) {
    const VideoRecord& v = *std::find_if(videos.begin(), videos.end(), [&](const VideoRecord& r) { return r.id == cands[i].video; });
    rows.push_back({v.id, cands[i].index, frame_image_path(v, cands[i].index), frame_image_name(v, cands[i].index),
                    strata[i], cands[i].feature});
  }
  p.add_frames(rows);
  s.sampled = static_cast<std::int64_t>(rows.size());
  log_info("sampled {} of {} candidate frames from {} videos", s.sampled, s.candidates, s.videos);
  return s;
}

}  // namespace bt::project

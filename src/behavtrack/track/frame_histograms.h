// The colour histograms of a whole video's detections (appearance.h), as the offline
// identity pass (tracker.h resolve_offline) reads them: frame by frame, so whoever keeps
// them chooses the form.
//
//   bt::track::CompactHistograms kept;                       // while frames stream
//   for (each frame) kept.push_back(bt::track::appearance_histograms(image, detections));
//   bt::track::resolve_offline(forward, options, ..., detections, &kept);
//
//   bt::track::HeldHistograms held(lists);                   // one list per frame, in memory
//
// Why two forms: `track` and `analyze` stream a video once, but the offline pass needs
// every detection's histogram at the end. One std::vector<float> per detection (128 bins,
// ~550 bytes with its heap block) kept while frames stream grows memory with video length
// and scatters small blocks between the frame buffers (core/compact_frames.h says why that
// grows the heap); a mouse's histogram is sparse (the floor and the other mice are masked
// out), so CompactHistograms keeps the non-zero bins and their bin numbers in three arrays,
// a few dozen bytes a detection. The pass expands one frame at a time.
// Lossless: frame() gives back exactly the floats pushed (empty histograms and empty lists
// too), so the identities do not depend on the form.
// Thread safety: const members may be called from several threads; push_back from one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bt::track {

// As in track_state.h (which this header cannot include: track_state.h -> tracker_options.h
// -> identity_resolver.h -> here): a normalised colour histogram, empty when unknown.
using Appearance = std::vector<float>;

// A running sum of histograms of one length (the first added sets it; others are ignored)
// and how many went in: a tracklet's or an identity's colour (identity_resolver.h,
// colour_repair.h).
struct HistogramSum {
  std::vector<double> sum;
  int n = 0;
  void add(const Appearance& h);
  void add(const HistogramSum& other);
  Appearance mean() const;  // empty when nothing went in
};

// Per frame of a detections list (the same index), one histogram per detection, in the
// detections' order (an empty histogram, or an empty list, where unknown).
class FrameHistograms {
 public:
  virtual ~FrameHistograms() = default;
  virtual std::size_t size() const = 0;  // frames
  virtual std::vector<Appearance> frame(std::size_t index) const = 0;
};

// Lists already in memory (tests, benchmarks, track_detections); refers to them, which
// must outlive it.
class HeldHistograms final : public FrameHistograms {
 public:
  explicit HeldHistograms(const std::vector<std::vector<Appearance>>& lists) : lists_(lists) {}
  std::size_t size() const override { return lists_.size(); }
  // Throws std::out_of_range past the end.
  std::vector<Appearance> frame(std::size_t index) const override;

 private:
  const std::vector<std::vector<Appearance>>& lists_;
};

// Only the non-zero bins, in flat arrays.
class CompactHistograms final : public FrameHistograms {
 public:
  // Capacity for this many frames, histograms and non-zero bins (a guess is fine).
  void reserve(std::size_t frames, std::size_t histograms, std::size_t nonzero_bins);
  // One frame's histograms, one per detection (or an empty list). Throws bt::Error (kInvalid)
  // for a histogram of more than 65536 bins.
  void push_back(const std::vector<Appearance>& frame);
  std::size_t size() const override { return frame_first_.size(); }
  // Throws std::out_of_range past the end.
  std::vector<Appearance> frame(std::size_t index) const override;
  // Bytes held by the arrays (their capacity), for the memory figures.
  std::size_t bytes() const;
  std::size_t histograms() const { return histograms_.size(); }
  std::size_t nonzero_bins() const { return values_.size(); }

 private:
  struct HistogramRow {
    std::uint32_t first_bin;  // into bins_ / values_
    std::uint32_t n_nonzero;
    std::uint32_t n_bins;     // the histogram's length (0: unknown, an empty histogram)
  };
  Appearance histogram(const HistogramRow& row) const;
  std::size_t histograms_end(std::size_t frame) const;

  std::vector<std::uint32_t> frame_first_;  // first histogram of each frame
  std::vector<HistogramRow> histograms_;
  std::vector<std::uint16_t> bins_;         // bin number of each non-zero value
  std::vector<float> values_;
};

}  // namespace bt::track

// The colour histograms of every detection of a whole video (track/appearance.h), kept for
// the offline identity pass in flat arrays that hold only their non-zero bins.
//
//   bt::analysis::CompactHistograms kept;
//   for (each frame) kept.push_back(bt::track::appearance_histograms(image, detections));
//   std::vector<std::vector<bt::track::Appearance>> all = kept.expand();  // once, at the end
//
// Why: analyze streams a video once, but the offline pass (track/tracker.h resolve_offline)
// needs every detection's histogram at the end. One std::vector<float> per detection (128
// bins, ~550 bytes with its heap block) kept while frames stream would scatter small blocks
// between the frame buffers (core/compact_frames.h says why that grows the heap with video
// length); a mouse's histogram is sparse (the floor and the other mice are masked out), so
// the non-zero bins and their bin numbers take a few dozen bytes, all in three arrays.
// Lossless: expand() and at() give back exactly the floats pushed (empty histograms and
// empty lists too), so analyze's identities equal `track`'s on the same detections.
// Thread safety: one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "behavtrack/track/track_state.h"

namespace bt::analysis {

class CompactHistograms {
 public:
  // Capacity for this many frames, histograms and non-zero bins (a guess is fine).
  void reserve(std::size_t frames, std::size_t histograms, std::size_t nonzero_bins);
  // One frame's histograms, one per detection (or an empty list). Throws bt::Error (kInvalid)
  // for a histogram of more than 65536 bins.
  void push_back(const std::vector<track::Appearance>& frame);
  std::size_t size() const { return frame_first_.size(); }
  std::vector<track::Appearance> at(std::size_t frame) const;
  // Every frame's list, in push order.
  std::vector<std::vector<track::Appearance>> expand() const;
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
  track::Appearance histogram(const HistogramRow& row) const;
  std::size_t histograms_end(std::size_t frame) const;

  std::vector<std::uint32_t> frame_first_;  // first histogram of each frame
  std::vector<HistogramRow> histograms_;
  std::vector<std::uint16_t> bins_;         // bin number of each non-zero value
  std::vector<float> values_;
};

}  // namespace bt::analysis

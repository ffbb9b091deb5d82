#include "behavtrack/track/frame_histograms.h"

#include <algorithm>

#include "behavtrack/core/error.h"

namespace bt::track {
namespace {

constexpr std::size_t kMaxBins = std::size_t{1} << 16;  // bin numbers are kept as uint16

std::uint32_t offset(std::size_t n) { return static_cast<std::uint32_t>(n); }

}  // namespace

void HistogramSum::add(const Appearance& h) {
  if (sum.empty()) sum.assign(h.size(), 0.0);
  if (sum.size() != h.size()) return;
  for (std::size_t b = 0; b < h.size(); ++b) sum[b] += h[b];
  ++n;
}

void HistogramSum::add(const HistogramSum& other) {
  if (other.n == 0) return;
  if (sum.empty()) sum.assign(other.sum.size(), 0.0);
  if (sum.size() != other.sum.size()) return;
  for (std::size_t b = 0; b < sum.size(); ++b) sum[b] += other.sum[b];
  n += other.n;
}

Appearance HistogramSum::mean() const {
  Appearance m(sum.size());
  for (std::size_t b = 0; b < sum.size(); ++b) m[b] = static_cast<float>(sum[b] / std::max(1, n));
  return m;
}

std::vector<Appearance> HeldHistograms::frame(std::size_t index) const { return lists_.at(index); }

void CompactHistograms::reserve(std::size_t frames, std::size_t histograms, std::size_t nonzero_bins) {
  frame_first_.reserve(frames);
  histograms_.reserve(histograms);
  bins_.reserve(nonzero_bins);
  values_.reserve(nonzero_bins);
}

void CompactHistograms::push_back(const std::vector<Appearance>& frame) {
  for (const Appearance& h : frame)
    if (h.size() > kMaxBins)
      throw_invalid("colour histogram: " + std::to_string(h.size()) + " bins; at most " + std::to_string(kMaxBins) +
                    " can be kept");
  frame_first_.push_back(offset(histograms_.size()));
  for (const Appearance& h : frame) {
    HistogramRow row{offset(values_.size()), 0, offset(h.size())};
    for (std::size_t bin = 0; bin < h.size(); ++bin) {
      if (h[bin] == 0.0f) continue;  // -0 too: it compares equal and a histogram holds no negatives
      bins_.push_back(static_cast<std::uint16_t>(bin));
      values_.push_back(h[bin]);
      ++row.n_nonzero;
    }
    histograms_.push_back(row);
  }
}

Appearance CompactHistograms::histogram(const HistogramRow& row) const {
  Appearance h(row.n_bins, 0.0f);
  for (std::uint32_t k = row.first_bin; k < row.first_bin + row.n_nonzero; ++k) h[bins_[k]] = values_[k];
  return h;
}

std::size_t CompactHistograms::histograms_end(std::size_t frame) const {
  return frame + 1 < frame_first_.size() ? frame_first_[frame + 1] : histograms_.size();
}

std::vector<Appearance> CompactHistograms::frame(std::size_t index) const {
  std::vector<Appearance> out;
  const std::size_t first = frame_first_.at(index), end = histograms_end(index);
  out.reserve(end - first);
  for (std::size_t j = first; j < end; ++j) out.push_back(histogram(histograms_[j]));
  return out;
}

std::size_t CompactHistograms::bytes() const {
  return frame_first_.capacity() * sizeof(std::uint32_t) + histograms_.capacity() * sizeof(HistogramRow) +
         bins_.capacity() * sizeof(std::uint16_t) + values_.capacity() * sizeof(float);
}

}  // namespace bt::track

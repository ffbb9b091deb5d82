// Test fixtures for exact seeking: small frames that carry their own index as binary
// blocks, so a decoded picture says which frame it is whatever the codec did to it.
//
// Layout (64x48 or larger): the top row of 8x8 blocks holds bits 0..7 of the index, the
// second row bits 8..15, the third row the complement of bits 0..7 (a check that the
// picture is not a blend of two frames). The rest is a moving gradient so that the encoder
// makes real P and B frames.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace bt::video::test_fixture {

constexpr int kBlock = 8;

inline cv::Mat index_frame_bgr(int index, int width = 64, int height = 48) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      m.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 3 + index * 5) & 0xff, (y * 4 + index * 3) & 0xff, (x + y) & 0xff);
  auto paint = [&](int row, int col, bool on) {
    const cv::Rect r(col * kBlock, row * kBlock, kBlock, kBlock);
    m(r).setTo(on ? cv::Scalar(230, 230, 230) : cv::Scalar(20, 20, 20));
  };
  for (int bit = 0; bit < 8; ++bit) {
    paint(0, bit, (index >> bit) & 1);
    paint(1, bit, (index >> (bit + 8)) & 1);
    paint(2, bit, !((index >> bit) & 1));
  }
  return m;
}

// The index a decoded frame (BGR or gray) carries, or -1 when the blocks are unreadable.
inline int decode_index(const cv::Mat& image) {
  auto bit_at = [&](int row, int col) {
    const cv::Rect r(col * kBlock + 2, row * kBlock + 2, kBlock - 4, kBlock - 4);
    const cv::Scalar mean = cv::mean(image(r));
    const double level = image.channels() == 1 ? mean[0] : (mean[0] + mean[1] + mean[2]) / 3;
    if (level > 90 && level < 160) return -1;  // neither black nor white: a blend
    return level >= 160 ? 1 : 0;
  };
  int index = 0;
  for (int bit = 0; bit < 8; ++bit) {
    const int low = bit_at(0, bit), high = bit_at(1, bit), check = bit_at(2, bit);
    if (low < 0 || high < 0 || check < 0 || low == check) return -1;
    index |= (low << bit) | (high << (bit + 8));
  }
  return index;
}

// Writes n index frames as raw bgr24 for the ffmpeg CLI (-f rawvideo -pix_fmt bgr24).
inline void write_raw_bgr(const std::filesystem::path& path, int n_frames, int width = 64, int height = 48) {
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < n_frames; ++i) {
    const cv::Mat m = index_frame_bgr(i, width, height);
    out.write(reinterpret_cast<const char*>(m.data), static_cast<std::streamsize>(m.total() * m.elemSize()));
  }
}

}  // namespace bt::video::test_fixture

// Private: decoded libav frames to 8-bit BGR or gray cv::Mat.
//
// 4:4:4 YUV (the DLC videos) has no fast path in swscale, whose generic scaler costs more
// than the decoding itself; it is converted here in fixed point: 16-bit AVX2 lanes where
// the CPU has them (within one grey level of exact), else a 32-bit loop the compiler
// vectorises. Gray output from any planar 8-bit YUV
// or gray frame is the luma plane, range-expanded. Everything else goes through swscale
// (which has SIMD paths for 4:2:0 and 4:2:2). Colour matrix: BT.709 when the frame says
// so, else BT.601; limited ("MPEG") range unless the frame or format says full range.
// Thread safety: one FrameConverter per thread.
#pragma once

#include <opencv2/core/mat.hpp>

#include "behavtrack/video/libav_util.h"
#include "behavtrack/video/video_reader.h"

namespace bt::video::detail {

class FrameConverter {
 public:
  explicit FrameConverter(PixelFormat output) : output_(output) {}
  // Writes `frame` into `out` (reallocated only when its size or type changes).
  void convert(const AVFrame& frame, cv::Mat& out);

 private:
  void convert_with_swscale(const AVFrame& frame, cv::Mat& out);

  PixelFormat output_;
  SwsPtr sws_;
  int sws_width_ = 0, sws_height_ = 0, sws_format_ = -1;
  int sws_colorspace_ = -1, sws_range_ = -1;
};

}  // namespace bt::video::detail

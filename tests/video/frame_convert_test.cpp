// The private YUV -> BGR/gray converter against the BT.601/BT.709 formulas in floating
// point, on every code path (AVX2 body, scalar tail, swscale fallback, gray).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "behavtrack/video/frame_convert.h"

namespace bt::video::detail {
namespace {

FramePtr random_frame(AVPixelFormat format, int width, int height, unsigned seed) {
  FramePtr f = make_frame();
  f->format = format;
  f->width = width;
  f->height = height;
  EXPECT_EQ(av_frame_get_buffer(f.get(), 0), 0);
  std::mt19937 rng(seed);
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
  for (int plane = 0; plane < 3 && f->data[plane]; ++plane) {
    const int h = plane == 0 ? height : AV_CEIL_RSHIFT(height, d->log2_chroma_h);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < f->linesize[plane]; ++x) f->data[plane][y * f->linesize[plane] + x] = rng() & 0xff;
  }
  return f;
}

// ref: ITU-R BT.601-7 / BT.709-6; limited range scales Y by 255/219 and chroma by 255/224.
cv::Vec3d reference_bgr(int Y, int U, int V, bool bt709, bool full) {
  const double kr = bt709 ? 0.2126 : 0.299, kb = bt709 ? 0.0722 : 0.114, kg = 1 - kr - kb;
  const double y = full ? Y : (Y - 16) * 255.0 / 219.0;
  const double s = full ? 1.0 : 255.0 / 224.0;
  const double cb = (U - 128) * s, cr = (V - 128) * s;
  const double r = y + 2 * (1 - kr) * cr;
  const double b = y + 2 * (1 - kb) * cb;
  const double g = y - 2 * (1 - kb) * kb / kg * cb - 2 * (1 - kr) * kr / kg * cr;
  auto clip = [](double v) { return std::clamp(v, 0.0, 255.0); };
  return {clip(b), clip(g), clip(r)};
}

double max_error_444(const AVFrame& f, const cv::Mat& bgr, bool bt709, bool full) {
  double worst = 0;
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) {
      const cv::Vec3d want = reference_bgr(f.data[0][y * f.linesize[0] + x], f.data[1][y * f.linesize[1] + x],
                                           f.data[2][y * f.linesize[2] + x], bt709, full);
      const cv::Vec3b got = bgr.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(want[c] - got[c]));
    }
  return worst;
}

TEST(FrameConvert, Yuv444ToBgrMatchesTheFormulaWithinOneLevel) {
  // Width 100: three 32-pixel SIMD steps and a 4-pixel scalar tail per row.
  for (const bool bt709 : {false, true})
    for (const bool full : {false, true}) {
      FramePtr f = random_frame(AV_PIX_FMT_YUV444P, 100, 7, 1 + bt709 + 2 * full);
      f->colorspace = bt709 ? AVCOL_SPC_BT709 : AVCOL_SPC_BT470BG;
      f->color_range = full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
      FrameConverter converter(PixelFormat::kBgr);
      cv::Mat out;
      converter.convert(*f, out);
      ASSERT_EQ(out.type(), CV_8UC3);
      EXPECT_LE(max_error_444(*f, out, bt709, full), 1.0) << "bt709 " << bt709 << " full " << full;
    }
}

TEST(FrameConvert, Yuv420ThroughSwscaleIsClose) {
  FramePtr f = random_frame(AV_PIX_FMT_YUV420P, 64, 48, 9);
  for (int i = 0; i < 64 * 48; ++i) f->data[0][(i / 64) * f->linesize[0] + i % 64] = 16 + (i % 200);
  for (int p = 1; p < 3; ++p)
    for (int y = 0; y < 24; ++y)
      for (int x = 0; x < 32; ++x) f->data[p][y * f->linesize[p] + x] = 128;  // neutral chroma: gray output
  FrameConverter converter(PixelFormat::kBgr);
  cv::Mat out;
  converter.convert(*f, out);
  double worst = 0;
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      const cv::Vec3d want = reference_bgr(f->data[0][y * f->linesize[0] + x], 128, 128, false, false);
      for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(want[c] - out.at<cv::Vec3b>(y, x)[c]));
    }
  EXPECT_LE(worst, 2.0);
}

TEST(FrameConvert, GrayOutputIsRangeExpandedLuma) {
  FramePtr f = random_frame(AV_PIX_FMT_YUV420P, 70, 10, 4);
  FrameConverter converter(PixelFormat::kGray);
  cv::Mat out;
  converter.convert(*f, out);
  ASSERT_EQ(out.type(), CV_8UC1);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 70; ++x) {
      const double want = std::clamp((f->data[0][y * f->linesize[0] + x] - 16) * 255.0 / 219.0, 0.0, 255.0);
      EXPECT_LE(std::abs(want - out.at<std::uint8_t>(y, x)), 0.5 + 1e-9) << x << "," << y;
    }
  FramePtr g = random_frame(AV_PIX_FMT_GRAY8, 33, 5, 5);
  converter.convert(*g, out);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 33; ++x) EXPECT_EQ(out.at<std::uint8_t>(y, x), g->data[0][y * g->linesize[0] + x]);
}

}  // namespace
}  // namespace bt::video::detail

#include "behavtrack/video/frame_convert.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cstdint>

#include "behavtrack/core/error.h"

namespace bt::video::detail {
namespace {

constexpr int kShift = 14;  // fixed-point fraction bits of the colour coefficients

// Y'CbCr -> R'G'B' in fixed point: R = y*(Y - y0) + rv*(V-128), G = y*(Y - y0) - gu*(U-128)
// - gv*(V-128), B = y*(Y - y0) + bu*(U-128). ref: ITU-R BT.601-7 and BT.709-6, sec. 3.
struct YuvCoefficients {
  std::int32_t y_offset, y_scale, rv, gu, gv, bu;
};

YuvCoefficients coefficients(bool bt709, bool full_range) {
  // Kr, Kb of the two matrices; the chroma factors follow from them.
  const double kr = bt709 ? 0.2126 : 0.299, kb = bt709 ? 0.0722 : 0.114, kg = 1 - kr - kb;
  const double y_scale = full_range ? 1.0 : 255.0 / 219.0;
  const double c_scale = full_range ? 1.0 : 255.0 / 224.0;
  auto fixed = [](double v) { return static_cast<std::int32_t>(v * (1 << kShift) + 0.5); };
  return {full_range ? 0 : 16,
          fixed(y_scale),
          fixed(2 * (1 - kr) * c_scale),
          fixed(2 * (1 - kb) * kb / kg * c_scale),
          fixed(2 * (1 - kr) * kr / kg * c_scale),
          fixed(2 * (1 - kb) * c_scale)};
}

inline std::uint8_t clamp_shift(std::int32_t v) {
  v = (v + (1 << (kShift - 1))) >> kShift;
  return static_cast<std::uint8_t>(std::clamp(v, 0, 255));
}

// One row of planar 4:4:4 to interleaved BGR. Written as a plain loop over independent
// pixels so that GCC vectorises it; target_clones builds an AVX2 copy chosen at load time.
__attribute__((target_clones("avx2", "default")))
void yuv444_row_to_bgr(const std::uint8_t* __restrict y, const std::uint8_t* __restrict u,
                       const std::uint8_t* __restrict v, std::uint8_t* __restrict bgr, int width,
                       YuvCoefficients c) {
  for (int x = 0; x < width; ++x) {
    const std::int32_t luma = (y[x] - c.y_offset) * c.y_scale;
    const std::int32_t cb = u[x] - 128, cr = v[x] - 128;
    bgr[3 * x + 0] = clamp_shift(luma + c.bu * cb);
    bgr[3 * x + 1] = clamp_shift(luma - c.gu * cb - c.gv * cr);
    bgr[3 * x + 2] = clamp_shift(luma + c.rv * cr);
  }
}

__attribute__((target_clones("avx2", "default")))
void luma_row_to_gray(const std::uint8_t* __restrict y, std::uint8_t* __restrict gray, int width,
                      YuvCoefficients c) {
  for (int x = 0; x < width; ++x) gray[x] = clamp_shift((y[x] - c.y_offset) * c.y_scale);
}

bool is_full_range(const AVFrame& frame) {
  const auto f = static_cast<AVPixelFormat>(frame.format);
  return frame.color_range == AVCOL_RANGE_JPEG || f == AV_PIX_FMT_YUVJ420P || f == AV_PIX_FMT_YUVJ422P ||
         f == AV_PIX_FMT_YUVJ444P || f == AV_PIX_FMT_YUVJ440P;
}

bool is_bt709(const AVFrame& frame) { return frame.colorspace == AVCOL_SPC_BT709; }

bool is_yuv444p(AVPixelFormat f) { return f == AV_PIX_FMT_YUV444P || f == AV_PIX_FMT_YUVJ444P; }

// Planar 8-bit YUV whose first plane is the luma.
bool has_8bit_luma_plane(AVPixelFormat f) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(f);
  return d && (d->flags & AV_PIX_FMT_FLAG_PLANAR) && !(d->flags & AV_PIX_FMT_FLAG_RGB) &&
         d->comp[0].depth == 8 && d->comp[0].plane == 0 && d->comp[0].step == 1 && d->nb_components >= 3;
}

}  // namespace

void FrameConverter::convert(const AVFrame& frame, cv::Mat& out) {
  const auto format = static_cast<AVPixelFormat>(frame.format);
  const int w = frame.width, h = frame.height;
  const YuvCoefficients c = coefficients(is_bt709(frame), is_full_range(frame));
  if (output_ == PixelFormat::kBgr && is_yuv444p(format)) {
    out.create(h, w, CV_8UC3);
    for (int r = 0; r < h; ++r)
      yuv444_row_to_bgr(frame.data[0] + r * frame.linesize[0], frame.data[1] + r * frame.linesize[1],
                        frame.data[2] + r * frame.linesize[2], out.ptr<std::uint8_t>(r), w, c);
    return;
  }
  if (output_ == PixelFormat::kGray && (format == AV_PIX_FMT_GRAY8 || has_8bit_luma_plane(format))) {
    out.create(h, w, CV_8UC1);
    const YuvCoefficients luma = format == AV_PIX_FMT_GRAY8 ? coefficients(false, true) : c;
    for (int r = 0; r < h; ++r)
      luma_row_to_gray(frame.data[0] + r * frame.linesize[0], out.ptr<std::uint8_t>(r), w, luma);
    return;
  }
  convert_with_swscale(frame, out);
}

void FrameConverter::convert_with_swscale(const AVFrame& frame, cv::Mat& out) {
  const bool bgr = output_ == PixelFormat::kBgr;
  const int colorspace = is_bt709(frame) ? SWS_CS_ITU709 : SWS_CS_ITU601;
  const int range = is_full_range(frame) ? 1 : 0;
  if (!sws_ || frame.width != sws_width_ || frame.height != sws_height_ || frame.format != sws_format_ ||
      colorspace != sws_colorspace_ || range != sws_range_) {
    sws_.reset(sws_getContext(frame.width, frame.height, static_cast<AVPixelFormat>(frame.format), frame.width,
                              frame.height, bgr ? AV_PIX_FMT_BGR24 : AV_PIX_FMT_GRAY8, SWS_POINT, nullptr,
                              nullptr, nullptr));
    if (!sws_) {
      const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame.format));
      throw_invalid(std::string("video: cannot convert pixel format ") + (name ? name : "unknown") +
                    (bgr ? " to BGR" : " to gray"));
    }
    const int* coeffs = sws_getCoefficients(colorspace);
    sws_setColorspaceDetails(sws_.get(), coeffs, range, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16,
                             1 << 16);
    sws_width_ = frame.width;
    sws_height_ = frame.height;
    sws_format_ = frame.format;
    sws_colorspace_ = colorspace;
    sws_range_ = range;
  }
  out.create(frame.height, frame.width, bgr ? CV_8UC3 : CV_8UC1);
  std::uint8_t* dst[1] = {out.data};
  const int dst_stride[1] = {static_cast<int>(out.step[0])};
  sws_scale(sws_.get(), frame.data, frame.linesize, 0, frame.height, dst, dst_stride);
}

}  // namespace bt::video::detail

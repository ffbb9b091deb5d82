#include "behavtrack/video/frame_convert.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#if defined(__x86_64__) || defined(__i386__)
#define BT_VIDEO_X86 1
#include <immintrin.h>
// Builds an AVX2 copy of a plain loop beside the baseline one, chosen when the program loads.
#define BT_VECTORISE_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define BT_VIDEO_X86 0
#define BT_VECTORISE_AVX2
#endif

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
BT_VECTORISE_AVX2
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

#if BT_VIDEO_X86
// The same conversion, 32 pixels a step in 16-bit lanes (the way FFmpeg's and libyuv's
// SIMD converters work): values carry 6 fraction bits, products come from mulhrs
// (round(a*b / 2^15)), sums saturate, and packus clamps to 0..255. Within one grey level
// of the 32-bit path. Pixels past the last multiple of 32 are left to the caller.
struct Yuv16Coefficients {
  std::int16_t y_offset, y, bu, gu, gv, rv;  // y in units of 2^-14, chroma of 2^-13
};

Yuv16Coefficients coefficients16(const YuvCoefficients& c) {
  auto to16 = [](std::int32_t v, int shift) { return static_cast<std::int16_t>((v + (1 << (shift - 1))) >> shift); };
  // kShift (14) fraction bits -> 14 for luma, 13 for chroma.
  return {static_cast<std::int16_t>(c.y_offset), static_cast<std::int16_t>(c.y_scale), to16(c.bu, 1),
          to16(c.gu, 1), to16(c.gv, 1), to16(c.rv, 1)};
}

__attribute__((target("avx2")))
int yuv444_row_to_bgr_avx2(const std::uint8_t* y, const std::uint8_t* u, const std::uint8_t* v, std::uint8_t* bgr,
                           int width, Yuv16Coefficients c) {
  const __m256i y_offset = _mm256_set1_epi16(c.y_offset), k128 = _mm256_set1_epi16(128);
  const __m256i half = _mm256_set1_epi16(32);  // rounding before the final >> 6
  const __m256i ky = _mm256_set1_epi16(c.y), kbu = _mm256_set1_epi16(c.bu), kgu = _mm256_set1_epi16(c.gu),
                kgv = _mm256_set1_epi16(c.gv), krv = _mm256_set1_epi16(c.rv);
  // pshufb masks that interleave 16 B, 16 G and 16 R bytes into 48 BGR bytes (3 chunks).
  alignas(16) static const std::int8_t masks[3][3][16] = {
      {{0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1, 5},
       {-1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1},
       {-1, -1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1}},
      {{-1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10, -1},
       {5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10},
       {-1, 5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1}},
      {{-1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1, -1},
       {-1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1},
       {10, -1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15}}};
  __m256i lane_masks[3][3];  // the same mask in both 128-bit lanes: each lane interleaves its own 16 pixels
  for (int chunk = 0; chunk < 3; ++chunk)
    for (int ch = 0; ch < 3; ++ch)
      lane_masks[chunk][ch] =
          _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(masks[chunk][ch])));
  int x = 0;
  for (; x + 32 <= width; x += 32) {
    __m256i planes[3][2];  // B, G, R as 16-bit lanes, two halves of 16 pixels
    for (int h = 0; h < 2; ++h) {
      const int o = x + 16 * h;
      const __m256i Y = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y + o)));
      const __m256i U = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(u + o)));
      const __m256i V = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + o)));
      // luma * 64 = mulhrs((Y - y0) << 7, y * 2^14); chroma * 64 = mulhrs((C - 128) << 8, k * 2^13)
      const __m256i luma =
          _mm256_add_epi16(_mm256_mulhrs_epi16(_mm256_slli_epi16(_mm256_sub_epi16(Y, y_offset), 7), ky), half);
      const __m256i cb = _mm256_slli_epi16(_mm256_sub_epi16(U, k128), 8);
      const __m256i cr = _mm256_slli_epi16(_mm256_sub_epi16(V, k128), 8);
      planes[0][h] = _mm256_srai_epi16(_mm256_adds_epi16(luma, _mm256_mulhrs_epi16(cb, kbu)), 6);
      planes[1][h] = _mm256_srai_epi16(
          _mm256_subs_epi16(_mm256_subs_epi16(luma, _mm256_mulhrs_epi16(cb, kgu)), _mm256_mulhrs_epi16(cr, kgv)), 6);
      planes[2][h] = _mm256_srai_epi16(_mm256_adds_epi16(luma, _mm256_mulhrs_epi16(cr, krv)), 6);
    }
    // Per channel, pixels 0..15 in the low lane and 16..31 in the high lane.
    __m256i bytes[3];
    for (int ch = 0; ch < 3; ++ch)
      bytes[ch] = _mm256_permute4x64_epi64(_mm256_packus_epi16(planes[ch][0], planes[ch][1]), 0xD8);
    // chunks[k]: bytes 16k..16k+15 of the first 48-byte group (low lane) and of the second (high).
    __m256i chunks[3];
    for (int chunk = 0; chunk < 3; ++chunk) {
      chunks[chunk] = _mm256_setzero_si256();
      for (int ch = 0; ch < 3; ++ch)
        chunks[chunk] = _mm256_or_si256(chunks[chunk], _mm256_shuffle_epi8(bytes[ch], lane_masks[chunk][ch]));
    }
    // 96 output bytes: chunk 0, 1, 2 of the low lanes, then of the high lanes.
    std::uint8_t* out = bgr + 3 * x;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permute2x128_si256(chunks[0], chunks[1], 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32), _mm256_blend_epi32(chunks[2], chunks[0], 0xF0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 64), _mm256_permute2x128_si256(chunks[1], chunks[2], 0x31));
  }
  return x;
}

const bool kHaveAvx2 = __builtin_cpu_supports("avx2");
#else
struct Yuv16Coefficients {};
Yuv16Coefficients coefficients16(const YuvCoefficients&) { return {}; }
#endif

void yuv444_row(const std::uint8_t* y, const std::uint8_t* u, const std::uint8_t* v, std::uint8_t* bgr, int width,
                const YuvCoefficients& c, const Yuv16Coefficients& c16) {
#if BT_VIDEO_X86
  const int done = kHaveAvx2 ? yuv444_row_to_bgr_avx2(y, u, v, bgr, width, c16) : 0;
#else
  const int done = 0;
#endif
  yuv444_row_to_bgr(y + done, u + done, v + done, bgr + 3 * done, width - done, c);
}

BT_VECTORISE_AVX2
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
    const Yuv16Coefficients c16 = coefficients16(c);
    for (int r = 0; r < h; ++r)
      yuv444_row(frame.data[0] + r * frame.linesize[0], frame.data[1] + r * frame.linesize[1],
                 frame.data[2] + r * frame.linesize[2], out.ptr<std::uint8_t>(r), w, c, c16);
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

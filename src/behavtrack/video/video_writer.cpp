#include "behavtrack/video/video_writer.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/video/libav_util.h"

namespace bt::video {
namespace fs = std::filesystem;
using namespace detail;

void WriterOptions::validate() const {
  auto bad = [](const std::string& field, const std::string& value, const std::string& why) {
    throw_invalid("video writer options: " + field + " = " + value + " " + why);
  };
  if (!(width > 0) || width % 2 != 0) bad("width", std::to_string(width), "must be a positive even number of pixels");
  if (!(height > 0) || height % 2 != 0) bad("height", std::to_string(height), "must be a positive even number of pixels");
  if (!(fps.num > 0) || !(fps.den > 0)) bad("fps", fps.str(), "must be a positive rational");
  if (codec != "libx264" && codec != "libx265" && codec != "mpeg4")
    bad("codec", quoted(codec), "is not one of libx264, libx265, mpeg4");
  if (!(crf >= 0 && crf <= 51)) bad("crf", std::to_string(crf), "must be in 0..51");
  if (preset.empty()) bad("preset", "''", "must name an x264/x265 preset, e.g. veryfast");
  if (!(threads >= 0)) bad("threads", std::to_string(threads), "must be >= 0");
  if (!(gop_frames >= 0)) bad("gop_frames", std::to_string(gop_frames), "must be >= 0");
}

namespace {
// The thread count when options.threads == 0: fixed rather than derived from the machine
// so that the same frames give the same bytes everywhere (the number of slices, one per
// thread, shapes the bitstream).
constexpr int kDefaultEncoderThreads = 4;

struct OutputDeleter {
  void operator()(AVFormatContext* c) const {
    if (!c) return;
    if (c->pb && !(c->oformat->flags & AVFMT_NOFILE)) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
using OutputPtr = std::unique_ptr<AVFormatContext, OutputDeleter>;

// The encoder for `name`, or MPEG-4 part 2 when this FFmpeg lacks it.
const AVCodec* find_encoder(const std::string& name) {
  if (const AVCodec* c = avcodec_find_encoder_by_name(name.c_str())) return c;
  const AVCodec* fallback = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  if (!fallback) throw_internal("video writer: neither " + name + " nor the mpeg4 encoder is available in this FFmpeg");
  log_warn("video writer: encoder {} is not available; falling back to mpeg4", name);
  return fallback;
}

// mpeg4 has no CRF: map the 0..51 scale onto its quantiser 1..31 (crf 20 -> q 3).
int mpeg4_quantiser(int crf) { return std::clamp(crf / 6, 1, 31); }
}  // namespace

struct VideoWriter::Impl {
  fs::path path, temp;
  WriterOptions options;
  std::string codec_name;
  OutputPtr out;
  CodecContextPtr enc;
  AVStream* stream = nullptr;
  SwsPtr sws;
  FramePtr frame = make_frame();
  PacketPtr packet = make_packet();
  std::int64_t n_written = 0;
  bool closed = false;

  std::string subject() const { return "video writer " + quoted(path.string()); }

  [[noreturn]] void fail(const std::string& what, int code) const {
    throw_io(subject() + ": " + what + " (" + av_error_text(code) + ")");
  }

  void open_encoder() {
    const AVCodec* codec = find_encoder(options.codec);
    codec_name = codec->name;
    enc.reset(avcodec_alloc_context3(codec));
    if (!enc) throw std::bad_alloc();
    enc->width = options.width;
    enc->height = options.height;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;  // what browsers and every player decode
    enc->time_base = AVRational{options.fps.den, options.fps.num};  // pts = frame number
    enc->framerate = AVRational{options.fps.num, options.fps.den};
    enc->sample_aspect_ratio = AVRational{1, 1};
    enc->color_range = AVCOL_RANGE_MPEG;
    enc->colorspace = AVCOL_SPC_BT470BG;  // BT.601, what swscale converts with below
    enc->color_primaries = AVCOL_PRI_BT470BG;
    enc->color_trc = AVCOL_TRC_SMPTE170M;
    enc->thread_count = options.threads > 0 ? options.threads : kDefaultEncoderThreads;
    // x264's frame threads give bytes that vary from run to run on a busy machine; slice
    // threads depend only on the slice count, so the output is reproducible.
    enc->thread_type = FF_THREAD_SLICE;
    enc->flags |= AV_CODEC_FLAG_BITEXACT;  // no version strings that vary between builds
    if (options.gop_frames > 0) enc->gop_size = options.gop_frames;
    if (out->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (codec->id == AV_CODEC_ID_MPEG4) {
      enc->flags |= AV_CODEC_FLAG_QSCALE;
      enc->global_quality = FF_QP2LAMBDA * mpeg4_quantiser(options.crf);
      if (options.gop_frames == 0) enc->gop_size = 250;
    } else {
      av_opt_set(enc->priv_data, "preset", options.preset.c_str(), 0);
      av_opt_set_double(enc->priv_data, "crf", options.crf, 0);
      // x264's macroblock-tree rate control (its SIMD code) gives bytes that differ
      // between two encodes of the same frames in one process; without it they match.
      if (codec_name == "libx264") av_opt_set(enc->priv_data, "x264-params", "mbtree=0", 0);
      if (codec_name == "libx265") {
        // x265 prints to stderr itself unless told not to. Its frame threads and thread
        // pool make the bitstream vary from run to run, so it encodes on one thread and
        // stays byte-identical (x265 is for small archival outputs, not speed here).
        const std::string params = "log-level=none:pools=1:frame-threads=1:lookahead-threads=0";
        av_opt_set(enc->priv_data, "x265-params", params.c_str(), 0);
        av_opt_set(enc->priv_data, "tag", "hvc1", 0);
      }
    }
    const int rc = avcodec_open2(enc.get(), codec, nullptr);
    if (rc < 0) fail("cannot open encoder " + codec_name, rc);
  }

  void open_output() {
    // The temporary sibling has no .mp4 extension: pick the container from the target.
    const AVOutputFormat* format = av_guess_format(nullptr, path.filename().c_str(), nullptr);
    if (!format) format = av_guess_format("mp4", nullptr, nullptr);
    AVFormatContext* raw = nullptr;
    int rc = avformat_alloc_output_context2(&raw, format, nullptr, temp.c_str());
    if (rc < 0 || !raw) fail("cannot create the container", rc);
    out.reset(raw);
    out->flags |= AVFMT_FLAG_BITEXACT;
    open_encoder();
    stream = avformat_new_stream(out.get(), nullptr);
    if (!stream) throw std::bad_alloc();
    stream->time_base = enc->time_base;
    stream->avg_frame_rate = enc->framerate;
    rc = avcodec_parameters_from_context(stream->codecpar, enc.get());
    if (rc < 0) fail("cannot set stream parameters", rc);
    rc = avio_open(&out->pb, temp.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) fail("cannot create " + quoted(temp.string()), rc);
    rc = avformat_write_header(out.get(), nullptr);
    if (rc < 0) fail("cannot write the header", rc);
  }

  void open_converter() {
    const AVPixelFormat src = options.gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_BGR24;
    // Bit-exact, accurately rounded conversion: identical bytes on every CPU.
    sws.reset(sws_getContext(options.width, options.height, src, options.width, options.height,
                             AV_PIX_FMT_YUV420P, SWS_POINT | SWS_BITEXACT | SWS_ACCURATE_RND,
                             nullptr, nullptr, nullptr));
    if (!sws) throw_internal(subject() + ": cannot create the colour converter");
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = options.width;
    frame->height = options.height;
    const int rc = av_frame_get_buffer(frame.get(), 0);
    if (rc < 0) fail("cannot allocate a frame", rc);
  }

  // Sends one frame (or nullptr to flush) and writes every packet the encoder returns.
  void encode(const AVFrame* f) {
    int rc = avcodec_send_frame(enc.get(), f);
    if (rc < 0) fail("encoding frame " + std::to_string(n_written) + " failed", rc);
    for (;;) {
      rc = avcodec_receive_packet(enc.get(), packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) fail("encoding failed", rc);
      av_packet_rescale_ts(packet.get(), enc->time_base, stream->time_base);
      packet->stream_index = stream->index;
      rc = av_interleaved_write_frame(out.get(), packet.get());
      if (rc < 0) fail("writing failed (disk full?)", rc);
    }
  }

  void check_image(const cv::Mat& image) const {
    const int type = options.gray ? CV_8UC1 : CV_8UC3;
    if (image.cols == options.width && image.rows == options.height && image.type() == type) return;
    throw_invalid(subject() + ": frame " + std::to_string(n_written) + " is " + std::to_string(image.cols) +
                  "x" + std::to_string(image.rows) + " with " + std::to_string(image.channels()) +
                  " channel(s) of depth " + std::to_string(image.depth()) + "; expected " +
                  std::to_string(options.width) + "x" + std::to_string(options.height) + " " +
                  (options.gray ? "CV_8UC1 (gray)" : "CV_8UC3 (BGR)"));
  }
};

VideoWriter::VideoWriter(const fs::path& path, WriterOptions options) : impl_(std::make_unique<Impl>()) {
  options.validate();
  install_libav_log_bridge();
  impl_->path = path;
  impl_->options = std::move(options);
  std::error_code ec;
  if (path.has_parent_path() && !fs::is_directory(path.parent_path(), ec))
    throw_not_found(impl_->subject() + ": folder " + quoted(path.parent_path().string()) + " does not exist");
  impl_->temp = temporary_sibling(path);
  try {
    impl_->open_output();
    impl_->open_converter();
  } catch (...) {
    impl_->out.reset();
    fs::remove(impl_->temp, ec);
    throw;
  }
}

VideoWriter::~VideoWriter() {
  if (!impl_ || impl_->closed) return;
  impl_->out.reset();  // closes the temporary file without finishing it
  std::error_code ec;
  fs::remove(impl_->temp, ec);
}

void VideoWriter::write(const cv::Mat& image) {
  Impl& m = *impl_;
  if (m.closed) throw_invalid(m.subject() + ": write() after close()");
  m.check_image(image);
  int rc = av_frame_make_writable(m.frame.get());
  if (rc < 0) m.fail("cannot allocate a frame", rc);
  const uint8_t* src[1] = {image.data};
  const int src_stride[1] = {static_cast<int>(image.step[0])};
  sws_scale(m.sws.get(), src, src_stride, 0, image.rows, m.frame->data, m.frame->linesize);
  m.frame->pts = m.n_written;
  m.encode(m.frame.get());
  ++m.n_written;
}

void VideoWriter::close() {
  Impl& m = *impl_;
  if (m.closed) return;
  if (m.n_written == 0) throw_invalid(m.subject() + ": no frames were written");
  m.encode(nullptr);
  int rc = av_write_trailer(m.out.get());
  if (rc < 0) m.fail("cannot finish the file", rc);
  rc = avio_closep(&m.out->pb);
  if (rc < 0) m.fail("cannot close the file", rc);
  m.out.reset();
  std::error_code ec;
  fs::rename(m.temp, m.path, ec);
  if (ec) throw_io(m.subject() + ": cannot move the finished file into place (" + ec.message() + ")");
  m.closed = true;
}

std::int64_t VideoWriter::frames_written() const { return impl_->n_written; }
const std::string& VideoWriter::codec() const { return impl_->codec_name; }

}  // namespace bt::video

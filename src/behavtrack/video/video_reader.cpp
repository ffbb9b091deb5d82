#include "behavtrack/video/video_reader.h"

#include <algorithm>
#include <exception>
#include <thread>

#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/video/frame_convert.h"
#include "behavtrack/video/frame_queue.h"
#include "behavtrack/video/stream_index.h"

namespace bt::video {
using namespace detail;

namespace {
enum class DecodeStatus { kFound, kOvershot, kEnded };

// Pictures the decode-ahead thread may hold ready: enough to cover the jitter between
// decoding and converting, few enough that memory stays small (4 x 1 MB at 640x480 4:4:4).
constexpr std::size_t kAheadFrames = 4;
}  // namespace

struct VideoReader::Impl {
  std::filesystem::path path;
  ReaderOptions options;
  FormatInputPtr format;
  StreamIndex index;
  CodecContextPtr decoder;
  PacketPtr packet = make_packet();
  FramePtr decoded = make_frame();
  FrameConverter converter;
  FrameIndex position = 0;       // what read() returns next
  FrameIndex last_emitted = -1;  // last frame the decoder gave since the seek; -1: at the start
  bool holding_last = false;     // `decoded` holds frame last_emitted
  bool flushed = false;          // end of stream sent to the decoder

  // Decode-ahead for read(): a thread runs decode_exactly(k) for k = position, position + 1,
  // ... and queues each picture, so that the caller converts frame k while the decoder works
  // on k + 1 and the decoder's frame threads never wait for the next packet. While it runs,
  // the thread alone touches the demuxer and decoder state above; the caller's thread
  // touches them again only after stop_ahead() has joined it.
  FrameQueue ahead_queue{kAheadFrames};
  std::thread ahead_thread;
  FrameIndex ahead_next = -1;  // the index the next pop gives; -1 when no thread runs

  Impl(std::filesystem::path p, ReaderOptions o)
      : path(std::move(p)), options(o), converter(o.output) {}
  ~Impl() { stop_ahead(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  std::string subject() const { return video_subject(path); }
  FrameIndex n_frames() const { return index.info.n_frames; }

  void open() {
    format = open_input(path);
    const int stream = find_video_stream(format.get(), path);
    index = index_stream(format.get(), stream, path);
    open_decoder();
    seek_to_start();
    prime_decoder();
  }

  // Decodes the first frame once. Decoders learn stream-wide facts from it that later key
  // frames do not repeat: FFmpeg's H.264 decoder reads the x264 version from the first
  // SEI and needs it to work around a 4:4:4 bug of old x264 builds (the DLC video is x264
  // core 148).
  // Without this, a reader whose first request seeks past frame 0 gets green pictures.
  void prime_decoder() { decode_to(0); }

  void open_decoder() {
    const AVStream* st = format->streams[index.stream];
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    decoder.reset(avcodec_alloc_context3(codec));
    if (!decoder) throw std::bad_alloc();
    int rc = avcodec_parameters_to_context(decoder.get(), st->codecpar);
    if (rc < 0) throw_invalid(subject() + ": bad codec parameters (" + av_error_text(rc) + ")");
    decoder->pkt_timebase = st->time_base;
    decoder->thread_count = options.decoder_threads;  // 0: one per core
    decoder->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    rc = avcodec_open2(decoder.get(), codec, nullptr);
    if (rc < 0) throw_invalid(subject() + ": cannot open the " + avcodec_get_name(st->codecpar->codec_id) +
                              " decoder (" + av_error_text(rc) + ")");
  }

  // Back to the first packet. Demuxers that cannot seek are simply opened again.
  void seek_to_start() {
    const auto first = std::min_element(index.key_seek_ts.begin(), index.key_seek_ts.end());
    if (first == index.key_seek_ts.end() ||
        av_seek_frame(format.get(), index.stream, *first, AVSEEK_FLAG_BACKWARD) < 0) {
      format = open_input(path);
      for (unsigned i = 0; i < format->nb_streams; ++i)
        if (static_cast<int>(i) != index.stream) format->streams[i]->discard = AVDISCARD_ALL;
    }
    reset_decoder(-1);
  }

  void reset_decoder(FrameIndex last) {
    avcodec_flush_buffers(decoder.get());
    flushed = false;
    last_emitted = last;
    holding_last = false;
  }

  // Index into info.key_frames of the last key frame at or before `target`, or -1.
  int key_slot_at_or_before(FrameIndex target) const {
    const auto& keys = index.info.key_frames;
    const auto it = std::upper_bound(keys.begin(), keys.end(), target);
    return static_cast<int>(it - keys.begin()) - 1;
  }

  // Seeks so that the decoder starts at key frame `slot` (or the file's start for -1).
  void seek_to_key(int slot) {
    if (slot < 0 || !index.key_frames_seekable) return seek_to_start();
    const int rc = av_seek_frame(format.get(), index.stream, index.key_seek_ts[slot], AVSEEK_FLAG_BACKWARD);
    if (rc < 0) return seek_to_start();
    reset_decoder(index.info.key_frames[slot] - 1);
  }

  [[noreturn]] void throw_decode_error(FrameIndex at, int code) const {
    throw_io(subject() + ": cannot decode frame " + std::to_string(at) + " (" + av_error_text(code) + ")" +
             (index.damage.empty() ? "" : "; " + index.damage));
  }

  // While decoding forward to `target`, pictures shown before it that no other picture
  // references are never needed: the decoder skips them (about half the work in a GOP
  // with B-frames). Needs timestamps to know which pictures come before the target.
  void skip_if_unneeded(const AVPacket& p, FrameIndex target) {
    const bool before_target =
        index.timestamps_usable && p.pts != AV_NOPTS_VALUE && target >= 0 && p.pts < index.pts[target];
    decoder->skip_frame = before_target ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
  }

  // Feeds packets until the decoder gives a frame (true) or has given all of them (false).
  bool next_decoded_frame(FrameIndex target) {
    holding_last = false;  // receiving unrefs `decoded`
    for (;;) {
      int rc = avcodec_receive_frame(decoder.get(), decoded.get());
      if (rc == 0) return true;
      if (rc == AVERROR_EOF) return false;
      if (rc == AVERROR_INVALIDDATA) {  // a damaged picture: skip it; a missing target is reported
        log_debug("{}: a picture after frame {} is damaged", subject(), last_emitted);
        continue;
      }
      if (rc != AVERROR(EAGAIN)) throw_decode_error(std::min(last_emitted + 1, target), rc);
      if (flushed) return false;
      rc = av_read_frame(format.get(), packet.get());
      if (rc < 0) {  // end of file or damage; the index already knows which frames exist
        flushed = true;
        avcodec_send_packet(decoder.get(), nullptr);
        continue;
      }
      if (packet->stream_index == index.stream && !(packet->flags & (AV_PKT_FLAG_DISCARD | AV_PKT_FLAG_CORRUPT))) {
        skip_if_unneeded(*packet, target);
        rc = avcodec_send_packet(decoder.get(), packet.get());
        if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_INVALIDDATA)
          throw_decode_error(std::min(last_emitted + 1, target), rc);
      }
      av_packet_unref(packet.get());
    }
  }

  // The frame index of the decoder's current output, or -1 when it matches no frame.
  FrameIndex index_of_decoded() const {
    if (!index.timestamps_usable) return last_emitted + 1;  // counted from the key frame
    const AVFrame& f = *decoded;
    const std::int64_t ts = f.pts != AV_NOPTS_VALUE ? f.pts : f.best_effort_timestamp;
    return index.index_of(ts);
  }

  DecodeStatus decode_to(FrameIndex target) {
    while (next_decoded_frame(target)) {
      const FrameIndex k = index_of_decoded();
      if (k < 0) {
        log_debug("{}: skipping a decoded picture with an unknown timestamp", subject());
        continue;
      }
      last_emitted = k;
      holding_last = true;
      if (k == target) return DecodeStatus::kFound;
      if (k > target) return DecodeStatus::kOvershot;
    }
    return DecodeStatus::kEnded;
  }

  // Decoding forward beats seeking when no key frame lies after the decoder's position.
  bool can_continue_to(FrameIndex target) const {
    if (target <= last_emitted) return false;
    if (!index.key_frames_seekable) return true;
    const int slot = key_slot_at_or_before(target);
    return slot < 0 || index.info.key_frames[slot] <= last_emitted + 1;
  }

  void decode_exactly(FrameIndex target) {
    if (target == last_emitted && holding_last) return;
    if (!can_continue_to(target)) seek_to_key(key_slot_at_or_before(target));
    // A seek may land after the target (a demuxer that seeks imprecisely, frames that
    // reference an earlier GOP); step back one key frame at a time until it does not.
    int slot = key_slot_at_or_before(target);
    for (;;) {
      const DecodeStatus status = decode_to(target);
      if (status == DecodeStatus::kFound) return;
      if (status == DecodeStatus::kEnded) break;
      if (slot < 0) break;
      seek_to_key(--slot);
    }
    if (!index.damage.empty()) throw_io(subject() + ": cannot read frame " + std::to_string(target) + "; " + index.damage);
    throw_io(subject() + ": cannot decode frame " + std::to_string(target) + "; its data is corrupt");
  }

  // Stores decoder picture `picture` as frame `target` in `frame`.
  void emit(const AVFrame& picture, FrameIndex target, Frame& frame) {
    frame.index = target;
    frame.time_s = index.info.frame_times_s[target];
    // Reuse the caller's buffer unless the caller kept a reference to it.
    if (frame.image.u && frame.image.u->refcount > 1) frame.image.release();
    converter.convert(picture, frame.image);
    position = target + 1;
  }

  // Decodes `target` on the caller's thread (random access).
  void read_into(FrameIndex target, Frame& frame) {
    stop_ahead();
    decode_exactly(target);
    emit(*decoded, target, frame);
  }

  bool ahead_running() const { return ahead_next >= 0; }

  // True when `target` is the next queued frame or a few frames after it: taking it from
  // the queue costs at most a few decodes, less than a seek.
  bool ahead_reaches(FrameIndex target) const {
    return ahead_running() && target >= ahead_next && target < ahead_next + static_cast<FrameIndex>(kAheadFrames);
  }

  void start_ahead() {
    ahead_queue.reset();
    ahead_thread = std::thread([this, from = position] { decode_ahead(from); });
    ahead_next = position;  // only once the thread exists: pops would wait for nothing
  }

  // The decode-ahead thread's body. An error is queued in place of the frame it concerns
  // (same message as a decode on the caller's thread) and ends the thread.
  void decode_ahead(FrameIndex from) {
    for (FrameIndex k = from; k < n_frames(); ++k) {
      QueuedFrame item;
      item.index = k;
      try {
        decode_exactly(k);
        item.picture = make_frame();
        const int rc = av_frame_ref(item.picture.get(), decoded.get());
        if (rc < 0) throw_decode_error(k, rc);
      } catch (...) {
        item.picture.reset();
        item.error = std::current_exception();
      }
      const bool failed = static_cast<bool>(item.error);
      if (!ahead_queue.push(std::move(item)) || failed) return;
    }
  }

  void stop_ahead() {
    if (ahead_thread.joinable()) {
      ahead_queue.cancel();
      ahead_thread.join();
    }
    ahead_queue.reset();
    ahead_next = -1;
  }

  // Takes queued frames up to `target` (ahead_reaches(target)) and emits it.
  void take_ahead(FrameIndex target, Frame& frame) {
    for (;;) {
      QueuedFrame item = ahead_queue.pop();
      ahead_next = item.index + 1;
      if (item.error) {
        stop_ahead();
        if (item.index == target) std::rethrow_exception(item.error);
        return read_into(target, frame);  // a frame before the target is broken: decode as without the thread
      }
      if (item.index == target) return emit(*item.picture, target, frame);
    }
  }

  void read_next(Frame& frame) {
    // The queue runs behind or ahead of the caller only after an exception left a frame
    // unconverted: start again from the caller's position.
    if (ahead_running() && ahead_next != position) stop_ahead();
    if (!ahead_running()) start_ahead();
    take_ahead(position, frame);
  }
};

VideoReader::VideoReader(const std::filesystem::path& path, ReaderOptions options)
    : impl_(std::make_unique<Impl>(path, options)) {
  // libavcodec allocates a full decoder context per frame thread: a typo like 1000000
  // would exhaust the memory before it failed.
  if (!(options.decoder_threads >= 0 && options.decoder_threads <= kMaxDecoderThreads))
    throw_invalid("video reader options: decoder_threads = " + std::to_string(options.decoder_threads) +
                  " must be in [0, " + std::to_string(kMaxDecoderThreads) + "]");
  install_libav_log_bridge();
  impl_->open();
}

VideoReader::~VideoReader() = default;
VideoReader::VideoReader(VideoReader&&) noexcept = default;
VideoReader& VideoReader::operator=(VideoReader&&) noexcept = default;

const VideoInfo& VideoReader::info() const { return impl_->index.info; }
FrameIndex VideoReader::position() const { return impl_->position; }

bool VideoReader::read(Frame& frame) {
  Impl& m = *impl_;
  if (m.position >= m.n_frames()) {
    if (!m.index.damage.empty())
      throw_io(m.subject() + ": cannot read frame " + std::to_string(m.position) + "; " + m.index.damage);
    return false;
  }
  m.read_next(frame);
  return true;
}

Frame VideoReader::read_at(FrameIndex index) {
  Impl& m = *impl_;
  if (index < 0 || index >= m.n_frames())
    throw_not_found(m.subject() + ": frame " + std::to_string(index) + " is out of range; valid frames are 0.." +
                    std::to_string(m.n_frames() - 1));
  Frame frame;
  if (m.ahead_reaches(index))
    m.take_ahead(index, frame);
  else
    m.read_into(index, frame);
  return frame;
}

}  // namespace bt::video

#include "behavtrack/video/stream_index.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <system_error>

#include "behavtrack/core/error.h"

namespace bt::video::detail {
namespace fs = std::filesystem;

FrameIndex StreamIndex::index_of(std::int64_t timestamp) const {
  const auto it = std::lower_bound(pts.begin(), pts.end(), timestamp);
  if (it == pts.end() || *it != timestamp) return -1;
  return it - pts.begin();
}

FormatInputPtr open_input(const fs::path& path) {
  const std::string subject = video_subject(path);
  std::error_code ec;
  if (!fs::exists(path, ec)) throw_not_found(subject + ": file does not exist");
  if (fs::is_directory(path, ec)) throw_invalid(subject + ": is a folder, not a video file");
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc == AVERROR(EACCES)) throw_io(subject + ": cannot open (" + av_error_text(rc) + ")");
  if (rc < 0)
    throw_invalid(subject + ": not a readable video file (" + av_error_text(rc) +
                  "); is it a video, and complete?");
  FormatInputPtr format(raw);
  rc = avformat_find_stream_info(format.get(), nullptr);
  if (rc < 0) throw_invalid(subject + ": not a readable video file (" + av_error_text(rc) + ")");
  return format;
}

int find_video_stream(AVFormatContext* format, const fs::path& path) {
  int best = -1;
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVStream* st = format->streams[i];
    // Cover art in audio files is a one-picture "video" stream: not a video.
    if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO || (st->disposition & AV_DISPOSITION_ATTACHED_PIC))
      continue;
    if (best < 0 || (st->disposition & AV_DISPOSITION_DEFAULT)) best = static_cast<int>(i);
    if (st->disposition & AV_DISPOSITION_DEFAULT) break;
  }
  if (best < 0) throw_invalid(video_subject(path) + ": no video stream; is this an audio file?");
  const AVCodecID id = format->streams[best]->codecpar->codec_id;
  if (!avcodec_find_decoder(id))
    throw_invalid(video_subject(path) + ": codec '" + avcodec_get_name(id) +
                  "' cannot be decoded by this FFmpeg build");
  return best;
}

namespace {

struct PacketEntry {
  std::int64_t pts = 0, seek_ts = 0;
  bool key = false;
};

bool distinct_timestamps(const std::vector<PacketEntry>& packets) {
  std::vector<std::int64_t> ts;
  ts.reserve(packets.size());
  for (const PacketEntry& p : packets) ts.push_back(p.pts);
  std::sort(ts.begin(), ts.end());
  return std::adjacent_find(ts.begin(), ts.end()) == ts.end();
}

// Key frames in the order of `packets`: their positions there are their indices.
void add_key_frames(const std::vector<PacketEntry>& packets, StreamIndex& index) {
  for (std::size_t k = 0; k < packets.size(); ++k) {
    if (!packets[k].key) continue;
    index.info.key_frames.push_back(static_cast<FrameIndex>(k));
    index.key_seek_ts.push_back(packets[k].seek_ts);
  }
}

struct DemuxResult {
  std::vector<PacketEntry> packets;  // in decode order, discarded packets left out
  std::int64_t n_packets_all = 0;    // including packets an edit list discards
  std::int64_t last_dts = AV_NOPTS_VALUE;  // of the last packet read whole
  bool timestamps_present = true;
  std::string damage;
};

DemuxResult demux_all(AVFormatContext* format, int stream) {
  for (unsigned i = 0; i < format->nb_streams; ++i)
    if (static_cast<int>(i) != stream) format->streams[i]->discard = AVDISCARD_ALL;
  DemuxResult r;
  PacketPtr packet = make_packet();
  for (;;) {
    const int rc = av_read_frame(format, packet.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      r.damage = "read error (" + av_error_text(rc) + ")";
      break;
    }
    const AVPacket& p = *packet;
    if (p.stream_index != stream) {
      av_packet_unref(packet.get());
      continue;
    }
    ++r.n_packets_all;
    if (p.flags & AV_PKT_FLAG_CORRUPT) {
      r.damage = "incomplete or corrupt data";
      av_packet_unref(packet.get());
      break;
    }
    if (!(p.flags & AV_PKT_FLAG_DISCARD)) {
      PacketEntry e;
      const std::int64_t ts = p.pts != AV_NOPTS_VALUE ? p.pts : p.dts;
      if (p.pts == AV_NOPTS_VALUE) r.timestamps_present = false;
      // Without timestamps, decode order stands in for presentation order.
      e.pts = ts != AV_NOPTS_VALUE ? ts : static_cast<std::int64_t>(r.packets.size());
      e.seek_ts = p.dts != AV_NOPTS_VALUE ? p.dts : e.pts;
      e.key = (p.flags & AV_PKT_FLAG_KEY) != 0;
      r.packets.push_back(e);
      if (p.dts != AV_NOPTS_VALUE) r.last_dts = p.dts;
    }
    av_packet_unref(packet.get());
  }
  return r;
}

// The nominal rate for a mean frame step of `step` ticks of `tb`: the integer or NTSC
// (n*1000/1001) rate nearest to it when the steps stay within one tick of that rate's
// step (timestamps are rounded to ticks), else the measured rate as a rational.
Rational snap_frame_rate(double step, AVRational tb) {
  const double fps = 1.0 / (step * av_q2d(tb));
  const double whole = std::round(fps), ntsc = std::round(fps * 1.001);
  const Rational candidates[] = {{static_cast<int>(whole), 1}, {static_cast<int>(ntsc * 1000), 1001}};
  const Rational* best = nullptr;
  double best_error = 1.0;  // ticks
  for (const Rational& c : candidates) {
    if (!(c.num > 0)) continue;
    const double error = std::abs(1.0 / (c.value() * av_q2d(tb)) - step);
    if (error <= best_error) {
      best = &c;
      best_error = error;
    }
  }
  if (best) return *best;
  const AVRational q = av_d2q(fps, 1000000);
  return {q.num, q.den};
}

void fill_timing(StreamIndex& index, const AVStream* st) {
  VideoInfo& info = index.info;
  const double tb = av_q2d(index.time_base);
  const auto n = static_cast<std::int64_t>(index.pts.size());
  info.frame_times_s.resize(n);
  for (std::int64_t k = 0; k < n; ++k) info.frame_times_s[k] = (index.pts[k] - index.pts[0]) * tb;

  if (n >= 2 && index.timestamps_usable) {
    const double step = static_cast<double>(index.pts.back() - index.pts.front()) / (n - 1);
    info.fps = snap_frame_rate(step, index.time_base);
    // Variable frame rate: some step differs from the mean by more than a tick and 1%.
    const double tolerance = 1.0 + 0.01 * step;
    for (std::int64_t k = 1; k < n && !info.variable_frame_rate; ++k)
      info.variable_frame_rate = std::abs((index.pts[k] - index.pts[k - 1]) - step) > tolerance;
  } else {
    AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (!(r.num > 0 && r.den > 0)) r = AVRational{25, 1};  // FFmpeg's own default guess
    info.fps = {r.num, r.den};
  }
  info.duration_s = n * (1.0 / info.fps.value());
  if (n >= 2 && index.timestamps_usable)
    info.duration_s = info.frame_times_s.back() + (info.frame_times_s.back() / (n - 1));
}

// A damaged stream loses packets after the break in decode order. A lost packet's pts is at
// least its dts, which is after the last dts read: frames presented up to that dts are
// all there, later ones may have gaps, so they are left out.
void keep_complete_prefix(DemuxResult& demux) {
  if (demux.last_dts == AV_NOPTS_VALUE || !demux.timestamps_present) return;
  auto& p = demux.packets;
  p.erase(std::remove_if(p.begin(), p.end(), [&](const PacketEntry& e) { return e.pts > demux.last_dts; }), p.end());
}

// The stream's declared length in seconds: its duration, else Matroska's DURATION tag
// ("HH:MM:SS.nnnnnnnnn"), else the file's duration when the video is its only stream.
double declared_duration_s(const AVFormatContext* format, const AVStream* st) {
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) return st->duration * av_q2d(st->time_base);
  if (const AVDictionaryEntry* tag = av_dict_get(st->metadata, "DURATION", nullptr, 0)) {
    int h = 0, m = 0;
    double sec = 0;
    if (std::sscanf(tag->value, "%d:%d:%lf", &h, &m, &sec) == 3) return h * 3600.0 + m * 60.0 + sec;
  }
  if (format->nb_streams == 1 && format->duration != AV_NOPTS_VALUE && format->duration > 0)
    return format->duration / static_cast<double>(AV_TIME_BASE);
  return 0;
}

// Streaming containers (Matroska, MPEG-TS) cut short end without an error; the duration
// the header declares tells. Two frames and 0.1 s of slack absorb rounding.
std::string shorter_than_declared(const AVFormatContext* format, const AVStream* st, const DemuxResult& demux) {
  const double declared = declared_duration_s(format, st);
  if (!(declared > 0) || demux.packets.size() < 2 || !demux.timestamps_present) return "";
  std::int64_t first = demux.packets.front().pts, last = first;
  for (const PacketEntry& e : demux.packets) {
    first = std::min(first, e.pts);
    last = std::max(last, e.pts);
  }
  const double tb = av_q2d(st->time_base);
  const double step = (last - first) * tb / static_cast<double>(demux.packets.size() - 1);
  const double present = (last - first) * tb + step;
  if (present + 2 * step + 0.1 >= declared) return "";
  char text[160];
  std::snprintf(text, sizeof(text), "truncated, the frames end at %.3f s of the %.3f s the file declares", present,
                declared);
  return text;
}

}  // namespace

StreamIndex index_stream(AVFormatContext* format, int stream, const fs::path& path) {
  const AVStream* st = format->streams[stream];
  DemuxResult demux = demux_all(format, stream);
  StreamIndex index;
  index.stream = stream;
  index.time_base = st->time_base;
  index.damage = demux.damage;
  if (index.damage.empty() && st->nb_frames > demux.n_packets_all)
    index.damage = "truncated, the container lists " + std::to_string(st->nb_frames) + " frames";
  if (index.damage.empty()) index.damage = shorter_than_declared(format, st, demux);
  if (!index.damage.empty()) keep_complete_prefix(demux);
  if (demux.packets.empty()) {
    if (!index.damage.empty()) throw_io(video_subject(path) + ": no frame can be read (" + index.damage + ")");
    throw_invalid(video_subject(path) + ": contains no frames");
  }
  if (!index.damage.empty())
    index.damage = "damaged after frame " + std::to_string(demux.packets.size() - 1) + " (" + index.damage + ")";

  std::vector<PacketEntry>& packets = demux.packets;
  index.timestamps_usable = demux.timestamps_present && distinct_timestamps(packets);
  // Counting mode: a key frame's index is its position in decode order.
  if (!index.timestamps_usable) add_key_frames(packets, index);
  std::stable_sort(packets.begin(), packets.end(),
                   [](const PacketEntry& a, const PacketEntry& b) { return a.pts < b.pts; });
  if (index.timestamps_usable) add_key_frames(packets, index);
  index.key_frames_seekable = index.timestamps_usable || st->codecpar->video_delay == 0;
  index.pts.reserve(packets.size());
  for (const PacketEntry& p : packets) index.pts.push_back(p.pts);

  VideoInfo& info = index.info;
  info.path = path;
  info.codec = avcodec_get_name(st->codecpar->codec_id);
  const char* pix = av_get_pix_fmt_name(static_cast<AVPixelFormat>(st->codecpar->format));
  info.pixel_format = pix ? pix : "unknown";
  info.width = st->codecpar->width;
  info.height = st->codecpar->height;
  info.n_frames = static_cast<std::int64_t>(packets.size());
  info.damage = index.damage;
  fill_timing(index, st);
  return index;
}

}  // namespace bt::video::detail

#include "behavtrack/behavior/video_clips.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <opencv2/imgproc.hpp>
#include <opencv2/optflow.hpp>
#include <opencv2/video/tracking.hpp>
#include <set>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"
#include "behavtrack/video/video_reader.h"

namespace bt::behavior {

FlowMethod flow_method_from_string(const std::string& name) {
  if (name == "dis") return FlowMethod::kDis;
  if (name == "tvl1") return FlowMethod::kTvl1;
  throw_invalid("flow " + quoted(name) + " is unknown; use dis or tvl1");
}

std::string to_string(FlowMethod m) { return m == FlowMethod::kDis ? "dis" : "tvl1"; }

void ClipOptions::validate() const {
  if (frames_before < 0 || frames_after < 0 || n_frames() > 64)
    throw_invalid("clips: frames_before " + std::to_string(frames_before) + " / frames_after " +
                  std::to_string(frames_after) + " must be >= 0 and give at most 64 frames");
  if (input_px < 16 || input_px > 512) throw_invalid("clips: input_px " + std::to_string(input_px) + " must be in 16..512");
  if (stored_px < input_px || stored_px > 1024)
    throw_invalid("clips: stored_px " + std::to_string(stored_px) + " must be in input_px (" + std::to_string(input_px) + ")..1024");
  if (!(box_margin >= 0) || !(box_margin <= 2)) throw_invalid("clips: box_margin " + std::to_string(box_margin) + " must be in [0, 2]");
  if (stride_frames < 1) throw_invalid("clips: stride_frames " + std::to_string(stride_frames) + " must be >= 1");
  if (max_clips < 0) throw_invalid("clips: max_clips " + std::to_string(max_clips) + " must be >= 0");
}

void ClipSet::append(const ClipSet& other, int video) {
  if (size() > 0 && (other.n_frames != n_frames || other.size_px != size_px))
    throw_internal("clips: appending clips of another shape");
  n_frames = other.n_frames;
  size_px = other.size_px;
  rgb.insert(rgb.end(), other.rgb.begin(), other.rgb.end());
  flow.insert(flow.end(), other.flow.begin(), other.flow.end());
  labels.insert(labels.end(), other.labels.begin(), other.labels.end());
  frames.insert(frames.end(), other.frames.begin(), other.frames.end());
  ids.insert(ids.end(), other.ids.begin(), other.ids.end());
  video_index.insert(video_index.end(), other.size(), video);
}

ClipSet ClipSet::subset(const std::vector<std::size_t>& indices) const {
  ClipSet s;
  s.n_frames = n_frames;
  s.size_px = size_px;
  for (std::size_t i : indices) {
    s.rgb.insert(s.rgb.end(), rgb_at(i), rgb_at(i) + rgb_stride());
    s.flow.insert(s.flow.end(), flow_at(i), flow_at(i) + flow_stride());
    s.labels.push_back(labels[i]);
    s.frames.push_back(frames[i]);
    s.ids.push_back(ids[i]);
    s.video_index.push_back(video_index.empty() ? 0 : video_index[i]);
  }
  return s;
}

namespace {

struct Wanted {
  FrameIndex frame;
  TrackId id;
  Box box;
  int label;
};

// Step 1: which (frame, mouse) get a clip, from the tracks and labels alone.
std::vector<Wanted> plan_clips(const InstancesFile& tracks, const LabelSet* labels, const ClipOptions& o) {
  std::vector<Wanted> out;
  for (const auto& f : tracks.frames) {
    if (f.frame % o.stride_frames != 0) continue;
    for (const auto& inst : f.instances) {
      if (!inst.id || !inst.box.valid()) continue;
      int label = -1;
      if (labels) {
        const auto c = labels->find(f.frame, *inst.id);
        if (!c) continue;
        label = *c;
      }
      out.push_back({f.frame, *inst.id, inst.box, label});
    }
  }
  if (o.max_clips > 0 && static_cast<int>(out.size()) > o.max_clips) {
    std::vector<Wanted> thin;
    for (int i = 0; i < o.max_clips; ++i)
      thin.push_back(out[static_cast<std::size_t>(static_cast<double>(i) * out.size() / o.max_clips)]);
    out = std::move(thin);
  }
  return out;
}

// The square ROI about the box centre: side = (the box's longer side, or `fixed_side_px`
// when > 0) x (1 + 2 margin), clipped to the frame.
cv::Rect roi_of(const Box& b, double fixed_side_px, double margin, int width, int height) {
  const double side = (fixed_side_px > 0 ? fixed_side_px : std::max(b.width(), b.height())) * (1 + 2 * margin);
  int s = std::max(8, static_cast<int>(std::lround(side)));
  s = std::min({s, width, height});
  int x = static_cast<int>(std::lround(b.cx() - s / 2.0)), y = static_cast<int>(std::lround(b.cy() - s / 2.0));
  x = std::clamp(x, 0, width - s);
  y = std::clamp(y, 0, height - s);
  return {x, y, s, s};
}

const cv::Scalar kPartColours[] = {{0, 0, 255}, {0, 255, 0}, {255, 0, 0}, {0, 255, 255},
                                   {255, 0, 255}, {255, 255, 0}, {0, 128, 255}, {255, 128, 0}};

void draw_keypoints(cv::Mat& crop, const Instance* inst, const cv::Rect& roi) {
  if (!inst) return;
  const double scale = static_cast<double>(crop.cols) / roi.width;
  for (std::size_t k = 0; k < inst->keypoints.size(); ++k) {
    const Keypoint& p = inst->keypoints[k];
    if (!p.present()) continue;
    const cv::Point c(static_cast<int>((p.x - roi.x) * scale), static_cast<int>((p.y - roi.y) * scale));
    cv::circle(crop, c, std::max(2, crop.cols / 40), kPartColours[k % 8], cv::FILLED, cv::LINE_AA);
  }
}

}  // namespace

cv::Mat compute_flow(const cv::Mat& prev_gray, const cv::Mat& gray, FlowMethod method) {
  cv::Mat flow;
  if (method == FlowMethod::kDis) {
    static thread_local cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_FAST);
    dis->calc(prev_gray, gray, flow);
  } else {
    static thread_local cv::Ptr<cv::optflow::DualTVL1OpticalFlow> tvl1 = cv::optflow::DualTVL1OpticalFlow::create();
    tvl1->calc(prev_gray, gray, flow);
  }
  return flow;
}

namespace {

// Median of the tracked boxes' longer sides over the whole video, px (0 when none).
double median_box_side_px(const InstancesFile& tracks) {
  std::vector<double> sides;
  for (const auto& f : tracks.frames)
    for (const auto& inst : f.instances)
      if (inst.id && inst.box.valid()) sides.push_back(std::max(inst.box.width(), inst.box.height()));
  if (sides.empty()) return 0.0;
  std::nth_element(sides.begin(), sides.begin() + static_cast<long>(sides.size() / 2), sides.end());
  return sides[sides.size() / 2];
}

const Instance* find_instance(const std::map<FrameIndex, const FrameInstances*>& by_frame, FrameIndex f, TrackId id) {
  const auto it = by_frame.find(f);
  if (it == by_frame.end()) return nullptr;
  for (const auto& inst : it->second->instances)
    if (inst.id && *inst.id == id) return &inst;
  return nullptr;
}

}  // namespace

namespace {

constexpr char kClipMagic[8] = {'B', 'T', 'C', 'L', 'I', 'P', 'S', '1'};

// FNV-1a 64 over the bytes of everything that decides the clips' contents.
class KeyHash {
 public:
  template <typename T>
  void add(const T& v) {
    const auto* p = reinterpret_cast<const unsigned char*>(&v);
    for (std::size_t i = 0; i < sizeof(T); ++i) h_ = (h_ ^ p[i]) * 1099511628211ULL;
  }
  void add(const std::string& s) {
    add(s.size());
    for (char c : s) add(c);
  }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
    return buf;
  }

 private:
  std::uint64_t h_ = 14695981039346656037ULL;
};

std::filesystem::path cache_path(const std::filesystem::path& video, const InstancesFile& tracks,
                                 const std::vector<Wanted>& wanted, const ClipOptions& o) {
  KeyHash k;
  std::error_code ec;
  k.add(std::filesystem::weakly_canonical(video, ec).string());
  k.add(static_cast<std::uint64_t>(std::filesystem::file_size(video, ec)));
  k.add(static_cast<std::int64_t>(std::filesystem::last_write_time(video, ec).time_since_epoch().count()));
  k.add(o.frames_before), k.add(o.frames_after), k.add(o.stored_px), k.add(o.box_margin);
  k.add(o.draw_keypoints), k.add(o.fixed_roi), k.add(static_cast<int>(o.flow));
  for (const Wanted& w : wanted) k.add(w.frame), k.add(w.id.value), k.add(w.label), k.add(w.box.x1), k.add(w.box.y1),
      k.add(w.box.x2), k.add(w.box.y2);
  if (o.draw_keypoints || o.fixed_roi)  // keypoints drawn from every frame; the median box of all
    for (const auto& f : tracks.frames)
      for (const auto& inst : f.instances) {
        k.add(f.frame), k.add(inst.id ? inst.id->value : -1);
        k.add(inst.box.x1), k.add(inst.box.y1), k.add(inst.box.x2), k.add(inst.box.y2);
        for (const Keypoint& p : inst.keypoints) k.add(p.x), k.add(p.y), k.add(static_cast<int>(p.v));
      }
  return o.cache_dir / (video.stem().string() + "-" + k.hex() + ".clips");
}

template <typename T>
void write_array(std::ostream& out, const std::vector<T>& v) {
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
}

template <typename T>
void read_array(std::istream& in, std::vector<T>& v, std::size_t n) {
  v.resize(n);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(T)));
}

}  // namespace

void write_clip_file(const std::filesystem::path& path, const ClipSet& clips) {
  AtomicFile out(path);
  std::ostream& s = out.stream();
  s.write(kClipMagic, sizeof kClipMagic);
  const std::int32_t dims[2] = {clips.n_frames, clips.size_px};
  const std::uint64_t n = clips.size();
  s.write(reinterpret_cast<const char*>(dims), sizeof dims);
  s.write(reinterpret_cast<const char*>(&n), sizeof n);
  std::vector<std::int32_t> labels(clips.labels.begin(), clips.labels.end()), ids;
  std::vector<std::int64_t> frames(clips.frames.begin(), clips.frames.end());
  for (TrackId id : clips.ids) ids.push_back(id.value);
  write_array(s, labels);
  write_array(s, frames);
  write_array(s, ids);
  write_array(s, clips.rgb);
  write_array(s, clips.flow);
  if (!s) throw_io("clip cache " + quoted(path.string()) + ": write failed");
  out.commit();
}

ClipSet read_clip_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_not_found("clip cache " + quoted(path.string()) + ": cannot open");
  char magic[sizeof kClipMagic];
  std::int32_t dims[2] = {0, 0};
  std::uint64_t n = 0;
  in.read(magic, sizeof magic);
  in.read(reinterpret_cast<char*>(dims), sizeof dims);
  in.read(reinterpret_cast<char*>(&n), sizeof n);
  if (!in || std::memcmp(magic, kClipMagic, sizeof magic) != 0 || dims[0] < 1 || dims[0] > 64 || dims[1] < 1 ||
      dims[1] > 1024 || n > (1ULL << 32))
    throw_invalid("clip cache " + quoted(path.string()) + ": not a behavtrack clip file");
  ClipSet c;
  c.n_frames = dims[0];
  c.size_px = dims[1];
  // The size the header promises, checked before any allocation.
  const std::uintmax_t expected = sizeof kClipMagic + sizeof dims + sizeof n + n * (4 + 8 + 4) +
                                  n * (c.rgb_stride() + c.flow_stride());
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) != expected || ec)
    throw_invalid("clip cache " + quoted(path.string()) + ": truncated or oversized clip file");
  std::vector<std::int32_t> labels, ids;
  std::vector<std::int64_t> frames;
  read_array(in, labels, n);
  read_array(in, frames, n);
  read_array(in, ids, n);
  read_array(in, c.rgb, n * c.rgb_stride());
  read_array(in, c.flow, n * c.flow_stride());
  if (!in || in.peek() != std::char_traits<char>::eof())
    throw_invalid("clip cache " + quoted(path.string()) + ": truncated or oversized clip file");
  c.labels.assign(labels.begin(), labels.end());
  c.frames.assign(frames.begin(), frames.end());
  for (std::int32_t id : ids) c.ids.push_back(TrackId(id));
  c.video_index.assign(n, 0);
  return c;
}

namespace {
ClipSet cut_clips(const std::filesystem::path& video, const InstancesFile& tracks, const std::vector<Wanted>& wanted,
                  const ClipOptions& o, const ProgressCallback& progress);
}  // namespace

ClipSet extract_clips(const std::filesystem::path& video, const InstancesFile& tracks, const LabelSet* labels,
                      const ClipOptions& o, const ProgressCallback& progress) {
  o.validate();
  const std::vector<Wanted> wanted = plan_clips(tracks, labels, o);
  if (o.cache_dir.empty()) return cut_clips(video, tracks, wanted, o, progress);
  const std::filesystem::path cached = cache_path(video, tracks, wanted, o);
  if (std::filesystem::exists(cached)) {
    log_info("clips of {}: from the cache {}", video.string(), cached.string());
    return read_clip_file(cached);
  }
  ClipSet clips = cut_clips(video, tracks, wanted, o, progress);
  std::error_code ec;
  std::filesystem::create_directories(o.cache_dir, ec);
  if (ec) throw_io("clip cache " + quoted(o.cache_dir.string()) + ": cannot create the folder: " + ec.message());
  write_clip_file(cached, clips);
  return clips;
}

namespace {
ClipSet cut_clips(const std::filesystem::path& video, const InstancesFile& tracks, const std::vector<Wanted>& wanted,
                  const ClipOptions& o, const ProgressCallback& progress) {
  video::VideoReader reader(video);
  const std::int64_t n_video = reader.info().n_frames;
  if (!tracks.frames.empty() && tracks.frames.back().frame >= n_video) {
    throw_invalid("tracks " + quoted(tracks.header.video) + ": frame " + std::to_string(tracks.frames.back().frame) +
                  " is beyond the " + std::to_string(n_video) + " frames of " + quoted(video.string()) +
                  "; frame counts do not match");
  }
  const double fixed_side_px = o.fixed_roi ? median_box_side_px(tracks) : 0.0;
  std::map<FrameIndex, const FrameInstances*> by_frame;
  if (o.draw_keypoints)
    for (const auto& f : tracks.frames) by_frame[f.frame] = &f;
  ClipSet clips;
  clips.n_frames = o.n_frames();
  clips.size_px = o.stored_px;
  const int S = o.stored_px, T = o.n_frames();
  clips.rgb.reserve(wanted.size() * clips.rgb_stride());
  clips.flow.reserve(wanted.size() * clips.flow_stride());
  std::deque<video::Frame> ring;  // frames centre - before - 1 .. centre + after
  const std::size_t ring_size = static_cast<std::size_t>(T + 1);
  std::size_t next = 0;
  Progress p("clips " + video.filename().string(), static_cast<std::int64_t>(wanted.size()), progress);

  // Cuts every wanted clip centred at frame `centre` from the frames in the ring.
  auto cut = [&](FrameIndex centre) {
    while (next < wanted.size() && wanted[next].frame == centre) {
      const Wanted& w = wanted[next++];
      const cv::Rect roi = roi_of(w.box, fixed_side_px, o.box_margin, ring.back().image.cols, ring.back().image.rows);
      cv::Mat prev_gray;
      for (int k = -1; k < T; ++k) {
        // Video frame for clip frame k, clamped to the decoded range held in the ring.
        const FrameIndex f = std::clamp<FrameIndex>(centre - o.frames_before + k, ring.front().index, ring.back().index);
        const video::Frame& src = ring[static_cast<std::size_t>(f - ring.front().index)];
        cv::Mat crop;
        cv::resize(src.image(roi), crop, {S, S}, 0, 0, cv::INTER_AREA);
        cv::Mat gray;
        cv::cvtColor(crop, gray, cv::COLOR_BGR2GRAY);
        if (k >= 0) {
          const cv::Mat flow = compute_flow(prev_gray, gray, o.flow);
          const std::size_t at = clips.flow.size();
          clips.flow.resize(at + static_cast<std::size_t>(S) * S * 2);
          std::int8_t* out = clips.flow.data() + at;
          for (int y = 0; y < S; ++y) {
            const auto* row = flow.ptr<cv::Vec2f>(y);
            for (int x = 0; x < S; ++x)
              for (int c = 0; c < 2; ++c) *out++ = static_cast<std::int8_t>(std::clamp(std::lround(row[x][c] * 4), -127L, 127L));
          }
          if (o.draw_keypoints) draw_keypoints(crop, find_instance(by_frame, f, w.id), roi);
          clips.rgb.insert(clips.rgb.end(), crop.data, crop.data + static_cast<std::size_t>(S) * S * 3);
        }
        prev_gray = gray;
      }
      clips.labels.push_back(w.label);
      clips.frames.push_back(w.frame);
      clips.ids.push_back(w.id);
      clips.video_index.push_back(0);
      p.advance();
    }
  };

  video::Frame frame;
  FrameIndex last = -1;
  while (next < wanted.size() && reader.read(frame)) {
    last = frame.index;
    // A deep copy: the reader may reuse its buffer for the next frame.
    ring.push_back({frame.index, frame.time_s, frame.image.clone()});
    if (ring.size() > ring_size) ring.pop_front();
    const FrameIndex centre = last - o.frames_after;
    if (centre >= 0) cut(centre);
  }
  // The last frames' clips repeat the final frame for their missing future.
  if (!ring.empty()) {
    for (FrameIndex centre = std::max<FrameIndex>(0, last - o.frames_after + 1); centre <= last && next < wanted.size(); ++centre)
      cut(centre);
  }
  p.finish();
  return clips;
}
}  // namespace

}  // namespace bt::behavior

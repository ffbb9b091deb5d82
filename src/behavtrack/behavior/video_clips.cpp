#include "behavtrack/behavior/video_clips.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <opencv2/imgproc.hpp>
#include <opencv2/optflow.hpp>
#include <opencv2/video/tracking.hpp>
#include <set>

#include "behavtrack/core/error.h"
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

cv::Rect roi_of(const Box& b, double margin, int width, int height) {
  const double side = std::max(b.width(), b.height()) * (1 + 2 * margin);
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

const Instance* find_instance(const std::map<FrameIndex, const FrameInstances*>& by_frame, FrameIndex f, TrackId id) {
  const auto it = by_frame.find(f);
  if (it == by_frame.end()) return nullptr;
  for (const auto& inst : it->second->instances)
    if (inst.id && *inst.id == id) return &inst;
  return nullptr;
}

}  // namespace

ClipSet extract_clips(const std::filesystem::path& video, const InstancesFile& tracks, const LabelSet* labels,
                      const ClipOptions& o, const ProgressCallback& progress) {
  o.validate();
  const std::vector<Wanted> wanted = plan_clips(tracks, labels, o);
  video::VideoReader reader(video);
  const std::int64_t n_video = reader.info().n_frames;
  if (!tracks.frames.empty() && tracks.frames.back().frame >= n_video) {
    throw_invalid("tracks " + quoted(tracks.header.video) + ": frame " + std::to_string(tracks.frames.back().frame) +
                  " is beyond the " + std::to_string(n_video) + " frames of " + quoted(video.string()) +
                  "; frame counts do not match");
  }
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
      const cv::Rect roi = roi_of(w.box, o.box_margin, ring.back().image.cols, ring.back().image.rows);
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

}  // namespace bt::behavior

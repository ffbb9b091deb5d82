#include "behavtrack/behavior/video_predict.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "behavtrack/behavior/smoothing.h"
#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"

namespace bt::behavior {

std::string behavior_model_kind(const std::filesystem::path& folder) {
  const auto path = folder / "model.json";
  if (!std::filesystem::exists(path))
    throw_not_found("model " + quoted(folder.string()) + ": no model.json; is this a behaviour model folder?");
  try {
    const auto j = nlohmann::json::parse(read_file(path));
    if (!j.contains("kind")) {
      const bool pose_model = j.is_object() && j.value("format", "").rfind("behavtrack.pose-model", 0) == 0;
      throw_invalid("model " + quoted(folder.string()) +
                    (pose_model ? ": a pose model, not a behaviour model" : ": not a behaviour model (model.json has no kind)"));
    }
    const std::string kind = j.at("kind").get<std::string>();
    if (kind != "pose" && kind != "video") throw_invalid(quoted(path.string()) + ": kind " + quoted(kind) + " is not pose or video");
    return kind;
  } catch (const nlohmann::json::exception& e) {
    throw_invalid(quoted(path.string()) + ": " + json_error_text(e));
  }
}

BehaviorPrediction predict_video(const VideoClassifier& classifier, const std::filesystem::path& video,
                                 const InstancesFile& tracks, int stride_frames, double min_bout_s,
                                 const ProgressCallback& progress) {
  const VideoClassifierOptions& o = classifier.options();
  ClipOptions clip_options = o.clips;
  clip_options.max_clips = 0;
  if (stride_frames > 0) clip_options.stride_frames = stride_frames;
  const ClipSet clips = extract_clips(video, tracks, nullptr, clip_options, progress);
  const StreamScores scores = classifier.score(clips, progress);
  const std::vector<float> fused = fuse_scores(scores, o.rgb_weight, o.flow_weight);
  const std::size_t k = o.behaviors.size();
  // Per mouse: the scored clip frames, in order, with their rows in `fused`.
  std::map<int, std::vector<std::pair<FrameIndex, std::size_t>>> scored;
  for (std::size_t i = 0; i < clips.size(); ++i) scored[clips.ids[i].value].emplace_back(clips.frames[i], i);
  std::map<int, MousePrediction> mice;
  for (const auto& f : tracks.frames) {
    for (const auto& inst : f.instances) {
      if (!inst.id) continue;
      const auto it = scored.find(inst.id->value);
      if (it == scored.end()) continue;
      const auto& s = it->second;
      // Nearest scored clip of this mouse.
      auto pos = std::lower_bound(s.begin(), s.end(), std::make_pair(f.frame, std::size_t{0}));
      if (pos == s.end() || (pos != s.begin() && f.frame - std::prev(pos)->first <= pos->first - f.frame)) pos = std::prev(pos);
      MousePrediction& m = mice[inst.id->value];
      m.id = *inst.id;
      m.frames.push_back(f.frame);
      m.proba.insert(m.proba.end(), fused.begin() + static_cast<long>(pos->second * k),
                     fused.begin() + static_cast<long>((pos->second + 1) * k));
    }
  }
  BehaviorPrediction p;
  p.behaviors = o.behaviors;
  p.fps = tracks.header.fps;
  for (auto& [id, m] : mice) {
    // Fused scores are a weighted sum: normalise to probabilities for the table.
    const float total = static_cast<float>(o.rgb_weight + o.flow_weight);
    for (float& v : m.proba) v /= total;
    m.classes = argmax_classes(m.proba, m.frames.size(), static_cast<int>(k));
    enforce_min_bout(m.classes, static_cast<int>(std::lround(min_bout_s * p.fps)));
    p.mice.push_back(std::move(m));
  }
  return p;
}

}  // namespace bt::behavior

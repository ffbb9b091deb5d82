// Late fusion of the two streams' scores and the video classifier's leave-one-video-out
// evaluation (no Torch here).
#include <algorithm>
#include <chrono>
#include <cmath>

#include "behavtrack/behavior/video_classifier.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/log.h"

namespace bt::behavior {

std::vector<float> fuse_scores(const StreamScores& s, double rgb_weight, double flow_weight) {
  if (!(rgb_weight >= 0) || !(flow_weight >= 0) || !(rgb_weight + flow_weight > 0))
    throw_invalid("fusion: rgb_weight " + std::to_string(rgb_weight) + " / flow_weight " + std::to_string(flow_weight) +
                  " must be >= 0 and not both 0");
  if (s.rgb.size() != s.flow.size()) throw_internal("fusion: the streams scored different clips");
  std::vector<float> out(s.rgb.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<float>(rgb_weight * s.rgb[i] + flow_weight * s.flow[i]);  // p = w_rgb p_rgb + w_flow p_flow
  return out;
}

double fused_accuracy(const StreamScores& s, const std::vector<int>& labels, double rgb_weight, double flow_weight) {
  const std::vector<float> p = fuse_scores(s, rgb_weight, flow_weight);
  const std::size_t k = static_cast<std::size_t>(s.n_classes);
  std::size_t n = 0, correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) continue;
    const float* row = p.data() + i * k;
    ++n;
    correct += static_cast<int>(std::max_element(row, row + k) - row) == labels[i];
  }
  return n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
}

std::vector<std::pair<double, double>> fusion_sweep(const StreamScores& s, const std::vector<int>& labels) {
  std::vector<std::pair<double, double>> out;
  for (int i = 0; i <= 10; ++i) {
    const double w = i / 10.0;
    out.emplace_back(w, fused_accuracy(s, labels, w, 1.0 - w));
  }
  return out;
}

Evaluation evaluate_clips(const StreamScores& scores, const std::vector<int>& labels,
                          const std::vector<std::string>& behaviors, double rgb_weight, double flow_weight) {
  return evaluate_fused(fuse_scores(scores, rgb_weight, flow_weight), scores.n_classes, labels, behaviors);
}

Evaluation evaluate_fused(const std::vector<float>& p, int n_classes, const std::vector<int>& labels,
                          const std::vector<std::string>& behaviors) {
  const std::size_t k = static_cast<std::size_t>(n_classes);
  if (p.size() != labels.size() * k) throw_internal("fusion: scores and labels differ in count");
  std::vector<int> predicted(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i)
    predicted[i] = static_cast<int>(std::max_element(p.begin() + static_cast<long>(i * k), p.begin() + static_cast<long>((i + 1) * k)) -
                                    (p.begin() + static_cast<long>(i * k)));
  Evaluator ev(behaviors);
  ev.add_frames(labels, predicted);
  return ev.result();
}

VideoCrossValidation cross_validate_video(const std::vector<LabelledVideoFile>& videos,
                                          const VideoClassifierOptions& options, const ProgressCallback& progress,
                                          int max_folds) {
  options.validate();
  if (max_folds < 0) throw_invalid("cross-validation: folds " + std::to_string(max_folds) + " must be >= 0");
  if (videos.size() < 2)
    throw_invalid("cross-validation: needs >= 2 videos for leave-one-video-out, got " + std::to_string(videos.size()));
  ClipSet all;
  VideoCrossValidation cv;
  for (std::size_t v = 0; v < videos.size(); ++v) {
    const auto& lv = videos[v].labelled;
    if (lv.labels.behaviors() != options.behaviors)
      throw_invalid("labels " + quoted(lv.name) + ": behaviour list differs from the classifier's");
    all.append(extract_clips(videos[v].video, lv.tracks, &lv.labels, options.clips, progress), static_cast<int>(v));
    cv.names.push_back(lv.name);
  }
  cv.scores.n_classes = static_cast<int>(options.behaviors.size());
  const std::size_t n_folds = max_folds > 0 ? std::min(videos.size(), static_cast<std::size_t>(max_folds)) : videos.size();
  for (std::size_t held = 0; held < n_folds; ++held) {
    std::vector<std::size_t> train, test;
    for (std::size_t i = 0; i < all.size(); ++i) (all.video_index[i] == static_cast<int>(held) ? test : train).push_back(i);
    if (test.empty()) continue;
    const auto start = std::chrono::steady_clock::now();
    const VideoClassifier clf = VideoClassifier::train(all, train, options, progress);
    const double fold_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cv.train_seconds += fold_seconds;
    cv.fold_train_seconds.push_back(fold_seconds);
    cv.train_clips += train.size();
    const ClipSet held_out = all.subset(test);
    const auto score_start = std::chrono::steady_clock::now();
    const StreamScores s = clf.score(held_out, progress);
    cv.score_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - score_start).count();
    cv.scores.rgb.insert(cv.scores.rgb.end(), s.rgb.begin(), s.rgb.end());
    cv.scores.flow.insert(cv.scores.flow.end(), s.flow.begin(), s.flow.end());
    const std::vector<float> fused = fuse_scores(s, clf.options().rgb_weight, clf.options().flow_weight);
    cv.fused.insert(cv.fused.end(), fused.begin(), fused.end());
    cv.fold_rgb_weight.push_back(clf.options().rgb_weight);
    cv.labels.insert(cv.labels.end(), held_out.labels.begin(), held_out.labels.end());
    cv.fold.insert(cv.fold.end(), held_out.size(), static_cast<int>(held));
    log_info("video cv fold {}: {} clips, fused accuracy {:.4f} at rgb_weight {:.1f} (rgb {:.4f}, flow {:.4f}), trained in {:.0f} s",
             videos[held].labelled.name, held_out.size(),
             fused_accuracy(s, held_out.labels, clf.options().rgb_weight, clf.options().flow_weight),
             clf.options().rgb_weight,
             fused_accuracy(s, held_out.labels, 1, 0), fused_accuracy(s, held_out.labels, 0, 1),
             fold_seconds);
  }
  return cv;
}

}  // namespace bt::behavior

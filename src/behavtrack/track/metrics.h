// Multi-object tracking metrics of predicted tracks against ground truth.
//
//   bt::track::EvaluateOptions o;            // match on box IoU >= 0.5
//   bt::track::MotMetrics m = bt::track::evaluate_tracking(truth.frames, pred.frames, o);
//   m.mota; m.idf1; m.hota;
//
// Definitions follow the published papers as implemented by TrackEval (Luiten & Hoffhues):
// - CLEAR MOT (Bernardin & Stiefelhagen 2008): per frame, truth/prediction pairs with
//   similarity >= threshold are matched by Hungarian assignment, keeping last frame's
//   pairs when still valid. MOTA = 1 - (FN + FP + IDSW) / n_truth; MOTP = mean similarity
//   of matched pairs; an ID switch is a truth id matched to a different prediction id than
//   at its previous match; a fragmentation is a tracked truth trajectory that is
//   interrupted and resumed (number of tracked runs - 1). One deliberate difference from
//   TrackEval: a frame with no prediction at all also interrupts a run (TrackEval skips
//   such frames without resetting, so it misses that fragmentation).
// - Identity (Ristani et al. 2016): one global one-to-one mapping between truth and
//   predicted ids maximising frames where they match (IDTP); IDP = IDTP / n_pred,
//   IDR = IDTP / n_truth, IDF1 = 2 IDTP / (n_truth + n_pred).
// - HOTA (Luiten et al. 2021, IJCV): per localisation threshold alpha in 0.05..0.95,
//   DetA = TP / (TP + FN + FP), AssA = mean over TPs of TPA / (TPA + FNA + FPA),
//   HOTA_alpha = sqrt(DetA AssA); reported values are the means over the 19 alphas.
// Similarity: box IoU, or OKS of the keypoints (kappa oks_kappa, scale = truth box area).
// Instances must carry ids. Thread safety: pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::track {

enum class MatchBy { kIou, kKeypoints };
MatchBy match_by_from_string(const std::string& name);  // "iou" | "keypoints"

struct EvaluateOptions {
  MatchBy match = MatchBy::kIou;
  double threshold = 0.5;     // similarity needed for a CLEAR / identity match, 0..1
  double oks_kappa = 0.15;    // OKS per-keypoint constant, keypoint matching only
  void validate() const;
};

struct MotMetrics {
  double mota = 0, motp = 0;
  double idf1 = 0, idp = 0, idr = 0;
  double hota = 0, deta = 0, assa = 0, loca = 0;
  std::int64_t n_truth = 0, n_pred = 0;  // instances
  std::int64_t tp = 0, fp = 0, fn = 0, id_switches = 0, fragmentations = 0;
  std::int64_t idtp = 0, idfp = 0, idfn = 0;
  int truth_ids = 0, pred_ids = 0;
  int mostly_tracked = 0, mostly_lost = 0;  // truth ids tracked > 80% / < 20% of their frames
};

MotMetrics evaluate_tracking(const std::vector<FrameInstances>& truth,
                             const std::vector<FrameInstances>& pred, const EvaluateOptions& options);

// "MOTA 0.981  MOTP 0.912 ..." as a table of name/value lines, and as JSON.
std::string format_metrics(const MotMetrics& m);
std::string metrics_json(const MotMetrics& m);

}  // namespace bt::track

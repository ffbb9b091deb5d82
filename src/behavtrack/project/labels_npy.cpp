// NumPy arrays in the Behavioural Mouse Dataset's spirit (its exact shapes are not
// published, so these are ours and every shape is checked against them):
//   keypoints.npy (N, M, K, 3) x, y, v  [or (N, M, K, 2): v = 2 where finite]  required
//   boxes.npy     (N, M, 4)    x1, y1, x2, y2; NaN row = empty slot               optional
//   ids.npy       (N, M)       track id per slot; <= 0 = untracked                optional
//   frames.npy    (N,)         frame index of each row; default 0..N-1            optional
// N rows of frames of one video, M animal slots, K keypoints (the skeleton's). A NaN or
// v = 0 keypoint is absent. A slot is empty when its box is NaN (or, without boxes.npy,
// when no keypoint is present); without boxes.npy, boxes are derived from the keypoints.
#include <cmath>
#include <limits>

#include "behavtrack/core/error.h"
#include "behavtrack/project/labels_internal.h"
#include "behavtrack/project/npy.h"

namespace bt::project::labels {
namespace fs = std::filesystem;

namespace {

void expect_shape(const npy::Array& a, const fs::path& file, const std::vector<std::int64_t>& want,
                  const std::string& meaning) {
  if (a.shape == want) return;
  npy::Array w;
  w.shape = want;
  throw_invalid("npy import: " + file_subject(file) + ": shape " + a.shape_str() + ", expected " + w.shape_str() + " (" +
                meaning + ")");
}

}  // namespace

ImportBatch parse_npy(const Project& p, const ImportOptions& o) {
  const fs::path dir = o.path;
  if (!fs::is_directory(dir)) throw_invalid("npy import: " + file_subject(dir) + ": expected a folder holding keypoints.npy");
  const VideoRecord video = target_video(p, o.video_id, "npy import");
  const fs::path kp_file = dir / "keypoints.npy";
  if (!fs::exists(kp_file)) throw_not_found("npy import: " + file_subject(kp_file) + ": missing (required)");
  const npy::Array kp = npy::read(kp_file);
  const std::int64_t K = p.skeleton().size();
  if (kp.shape.size() != 4 || kp.shape[2] != K || (kp.shape[3] != 3 && kp.shape[3] != 2))
    throw_invalid("npy import: " + file_subject(kp_file) + ": shape " + kp.shape_str() + ", expected (N, M, " +
                  std::to_string(K) + ", 3) (frames, animals, the skeleton's keypoints, x/y/v)");
  const std::int64_t N = kp.shape[0], M = kp.shape[1], D = kp.shape[3];
  npy::Array boxes, ids, frames;
  const bool has_boxes = fs::exists(dir / "boxes.npy"), has_ids = fs::exists(dir / "ids.npy");
  if (has_boxes) {
    boxes = npy::read(dir / "boxes.npy");
    expect_shape(boxes, dir / "boxes.npy", {N, M, 4}, "N frames x M animals x x1/y1/x2/y2, N and M from keypoints.npy");
  }
  if (has_ids) {
    ids = npy::read(dir / "ids.npy");
    expect_shape(ids, dir / "ids.npy", {N, M}, "N frames x M animals, from keypoints.npy");
  }
  if (fs::exists(dir / "frames.npy")) {
    frames = npy::read(dir / "frames.npy");
    expect_shape(frames, dir / "frames.npy", {N}, "one frame index per row of keypoints.npy");
  }
  ImportBatch batch;
  for (std::int64_t n = 0; n < N; ++n) {
    ImportedFrame f;
    f.video_id = video.id;
    f.frame_index = frames.values.empty() ? n : static_cast<FrameIndex>(frames.values[n]);
    if (f.frame_index < 0 || f.frame_index >= video.n_frames)
      throw_invalid("npy import: row " + std::to_string(n) + ": frame " + std::to_string(f.frame_index) +
                    " outside the video's " + std::to_string(video.n_frames) + " frames");
    for (std::int64_t m = 0; m < M; ++m) {
      const std::string where = "npy import: row " + std::to_string(n) + " animal " + std::to_string(m);
      Instance in;
      for (std::int64_t k = 0; k < K; ++k) {
        const double* v = &kp.values[((n * M + m) * K + k) * D];
        const bool finite = std::isfinite(v[0]) && std::isfinite(v[1]);
        const int vis = D == 3 ? (std::isfinite(v[2]) ? static_cast<int>(v[2]) : 0) : (finite ? 2 : 0);
        if (vis < 0 || vis > 2) throw_invalid(where + " keypoint " + std::to_string(k) + ": v must be 0, 1 or 2");
        in.keypoints.push_back(vis == 0 || !finite ? Keypoint{} : Keypoint{v[0], v[1], static_cast<Visibility>(vis)});
      }
      bool derived = false;
      if (has_boxes) {
        const double* b = &boxes.values[(n * M + m) * 4];
        if (!std::isfinite(b[0]) || !std::isfinite(b[1]) || !std::isfinite(b[2]) || !std::isfinite(b[3])) continue;
        in.box = Box{b[0], b[1], b[2], b[3]};
        if (!in.box.valid()) throw_invalid(where + ": box x2 > x1 and y2 > y1 required");
      } else {
        const auto box = in.keypoint_box(o.derived_box_margin_px);
        if (!box) continue;
        in.box = *box;
        derived = true;
      }
      if (has_ids && ids.values[n * M + m] > 0) in.id = TrackId(static_cast<int>(ids.values[n * M + m]));
      f.instances.push_back(imported(in, o, derived));
    }
    batch.frames.push_back(std::move(f));
  }
  return batch;
}

void write_npy(const Project& p, const std::vector<ExportFrame>& frames, const ExportOptions& o, const fs::path& out) {
  const VideoRecord video = target_video(p, o.video_id, "npy export");
  std::vector<const ExportFrame*> rows;
  for (const ExportFrame& f : frames)
    if (f.frame.video_id == video.id) rows.push_back(&f);
  std::sort(rows.begin(), rows.end(),
            [](const ExportFrame* a, const ExportFrame* b) { return a->frame.frame_index < b->frame.frame_index; });
  const std::int64_t N = static_cast<std::int64_t>(rows.size()), K = p.skeleton().size();
  std::int64_t M = 1;
  for (const ExportFrame* f : rows) M = std::max<std::int64_t>(M, static_cast<std::int64_t>(f->instances.size()));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  npy::Array kp{{N, M, K, 3}, std::vector<double>(N * M * K * 3, nan), ""};
  npy::Array boxes{{N, M, 4}, std::vector<double>(N * M * 4, nan), ""};
  npy::Array ids{{N, M}, std::vector<double>(N * M, 0), ""};
  npy::Array idx{{N}, std::vector<double>(N, 0), ""};
  for (std::int64_t n = 0; n < N; ++n) {
    idx.values[n] = static_cast<double>(rows[n]->frame.frame_index);
    for (std::size_t m = 0; m < rows[n]->instances.size(); ++m) {
      const Instance& in = rows[n]->instances[m].instance;
      const std::int64_t slot = n * M + static_cast<std::int64_t>(m);
      ids.values[slot] = in.id ? in.id->value : 0;
      const auto xyxy = in.box.to_xyxy();
      std::copy(xyxy.begin(), xyxy.end(), boxes.values.begin() + slot * 4);
      for (std::int64_t k = 0; k < K; ++k) {
        double* v = &kp.values[(slot * K + k) * 3];
        const Keypoint& key = in.keypoints[k];
        v[0] = key.present() ? key.x : nan;
        v[1] = key.present() ? key.y : nan;
        v[2] = to_int(key.v);
      }
    }
  }
  fs::create_directories(out);
  npy::write(out / "keypoints.npy", kp, false);
  npy::write(out / "boxes.npy", boxes, false);
  npy::write(out / "ids.npy", ids, true);
  npy::write(out / "frames.npy", idx, true);
}

}  // namespace bt::project::labels

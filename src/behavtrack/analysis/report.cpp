#include "behavtrack/analysis/report.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"

namespace bt::analysis {
namespace {

using json = nlohmann::json;

bool present(const Instance& m, int k) {
  return k < static_cast<int>(m.keypoints.size()) && m.keypoints[k].present();
}

double distance(double ax, double ay, double bx, double by) { return std::hypot(ax - bx, ay - by); }

// Nearest distance from point (x, y) to any present keypoint of `other`, or to its box
// centre when it has none.
double distance_to_body(double x, double y, const Instance& other) {
  double best = INFINITY;
  for (const Keypoint& k : other.keypoints)
    if (k.present()) best = std::min(best, distance(x, y, k.x, k.y));
  if (!std::isfinite(best)) best = distance(x, y, other.box.cx(), other.box.cy());
  return best;
}

// Replaces "</" so that data inside a <script> element cannot close it.
std::string script_safe(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

void replace_once(std::string& text, const std::string& marker, const std::string& value,
                  const std::filesystem::path& template_path) {
  const auto pos = text.find(marker);
  if (pos == std::string::npos)
    throw_internal("report template " + quoted(template_path.string()) + ": no " + marker);
  text.replace(pos, marker.size(), value);
}

}  // namespace

void ReportOptions::validate() const {
  if (!(occupancy_cell_px >= 1))
    throw_invalid("report option occupancy_cell_px = " + std::to_string(occupancy_cell_px) + ": must be >= 1");
  if (!(trajectory_rate_hz > 0))
    throw_invalid("report option trajectory_rate_hz = " + std::to_string(trajectory_rate_hz) + ": must be > 0");
  if (!(speed_bin_s > 0))
    throw_invalid("report option speed_bin_s = " + std::to_string(speed_bin_s) + ": must be > 0");
  if (!(contact_distance_px >= 0))
    throw_invalid("report option contact_distance_px = " + std::to_string(contact_distance_px) + ": must be >= 0");
}

std::array<double, 2> body_centre(const Instance& mouse) {
  double sx = 0, sy = 0;
  int n = 0;
  for (const Keypoint& k : mouse.keypoints)
    if (k.present()) sx += k.x, sy += k.y, ++n;
  if (n == 0) return {mouse.box.cx(), mouse.box.cy()};
  return {sx / n, sy / n};
}

ReportBuilder::ReportBuilder(ReportMeta meta, ReportOptions options)
    : meta_(std::move(meta)), options_(options) {
  options_.validate();
  if (!(meta_.fps > 0)) throw_invalid("report: fps = " + std::to_string(meta_.fps) + ": must be > 0");
  if (meta_.width <= 0 || meta_.height <= 0)
    throw_invalid("report: frame size " + std::to_string(meta_.width) + "x" +
                  std::to_string(meta_.height) + ": must be positive");
  grid_w_ = static_cast<int>(std::ceil(meta_.width / options_.occupancy_cell_px));
  grid_h_ = static_cast<int>(std::ceil(meta_.height / options_.occupancy_cell_px));
  if (meta_.title.empty()) meta_.title = meta_.video;
}

void ReportBuilder::add_frame(FrameIndex frame, const std::vector<Instance>& mice) {
  if (frame <= last_frame_)
    throw_internal("report: frame " + std::to_string(frame) + " after " + std::to_string(last_frame_));
  if (first_frame_ < 0) first_frame_ = frame;
  last_frame_ = frame;
  std::vector<const Instance*> tracked;
  for (const Instance& m : mice) {
    if (!m.id) continue;
    add_mouse(frame, m);
    tracked.push_back(&m);
  }
  // A mouse missing from this frame ends its open bout.
  for (auto& [id, state] : mice_)
    if (state.last_frame != frame) state.open_bout = -1;
  add_pairs(tracked);
}

void ReportBuilder::add_mouse(FrameIndex frame, const Instance& m) {
  const int id = m.id->value;
  MouseState& s = mice_[id];
  const double t = (frame - std::max<FrameIndex>(first_frame_, 0)) / meta_.fps;
  const auto [x, y] = body_centre(m);

  // Distance travelled since the previous frame, only across consecutive frames so that
  // a gap in the track does not count as a jump.
  const auto bin = static_cast<std::size_t>(t / options_.speed_bin_s);
  if (s.distance_per_bin.size() <= bin) s.distance_per_bin.resize(bin + 1, 0.0);
  if (s.seen && s.last_frame == frame - 1) s.distance_per_bin[bin] += distance(x, y, s.last_x, s.last_y);

  if (!s.seen || t >= s.next_trajectory_t) {
    s.trajectory.push_back({t, x, y});
    s.next_trajectory_t = t + 1.0 / options_.trajectory_rate_hz;
  }
  if (s.occupancy.empty()) s.occupancy.assign(static_cast<std::size_t>(grid_w_) * grid_h_, 0);
  const int gx = std::clamp(static_cast<int>(x / options_.occupancy_cell_px), 0, grid_w_ - 1);
  const int gy = std::clamp(static_cast<int>(y / options_.occupancy_cell_px), 0, grid_h_ - 1);
  ++s.occupancy[static_cast<std::size_t>(gy) * grid_w_ + gx];

  if (present(m, 0) && present(m, static_cast<int>(m.keypoints.size()) - 1)) {
    const Keypoint &nose = m.keypoints.front(), &tail = m.keypoints.back();
    body_length_sum_px_ += distance(nose.x, nose.y, tail.x, tail.y);
    ++body_length_count_;
  }

  if (!m.behavior.empty()) {
    ++s.frames_per_behavior[m.behavior];
    const bool extends = s.open_bout >= 0 && bouts_[s.open_bout].behavior == m.behavior &&
                         bouts_[s.open_bout].end_frame == frame - 1;
    if (extends) {
      bouts_[s.open_bout].end_frame = frame;
    } else {
      bouts_.push_back({id, m.behavior, frame, frame});
      s.open_bout = static_cast<int>(bouts_.size()) - 1;
    }
  } else {
    s.open_bout = -1;
  }
  s.seen = true;
  s.last_frame = frame;
  s.last_x = x;
  s.last_y = y;
}

double ReportBuilder::contact_threshold_px() const {
  if (options_.contact_distance_px > 0) return options_.contact_distance_px;
  if (body_length_count_ == 0) return 0;
  return 0.5 * body_length_sum_px_ / body_length_count_;
}

void ReportBuilder::add_pairs(const std::vector<const Instance*>& mice) {
  const double threshold = contact_threshold_px();
  for (std::size_t i = 0; i < mice.size(); ++i) {
    for (std::size_t j = i + 1; j < mice.size(); ++j) {
      const Instance *a = mice[i], *b = mice[j];
      if (a->id->value > b->id->value) std::swap(a, b);
      PairState& p = pairs_[{a->id->value, b->id->value}];
      const auto ca = body_centre(*a), cb = body_centre(*b);
      p.distance_sum_px += distance(ca[0], ca[1], cb[0], cb[1]);
      ++p.distance_frames;
      // Contact: either nose near the other's body.
      double nearest = INFINITY;
      if (present(*a, 0)) nearest = std::min(nearest, distance_to_body(a->keypoints[0].x, a->keypoints[0].y, *b));
      if (present(*b, 0)) nearest = std::min(nearest, distance_to_body(b->keypoints[0].x, b->keypoints[0].y, *a));
      const bool contact = nearest <= threshold;
      if (contact) {
        ++p.contact_frames;
        if (!p.in_contact) ++p.contact_bouts;
      }
      p.in_contact = contact;
    }
  }
  // Pairs not both present this frame are not in contact any more.
  for (auto& [key, p] : pairs_) {
    bool both = false;
    for (std::size_t i = 0; i < mice.size() && !both; ++i)
      for (std::size_t j = 0; j < mice.size() && !both; ++j)
        both = mice[i]->id->value == key.first && mice[j]->id->value == key.second;
    if (!both) p.in_contact = false;
  }
}

std::vector<int> ReportBuilder::mouse_ids() const {
  std::vector<int> ids;
  for (const auto& [id, s] : mice_) ids.push_back(id);
  return ids;
}

std::map<std::string, double> ReportBuilder::time_budget_s(int id) const {
  std::map<std::string, double> out;
  const auto it = mice_.find(id);
  if (it == mice_.end()) return out;
  for (const auto& [behavior, frames] : it->second.frames_per_behavior) out[behavior] = frames / meta_.fps;
  return out;
}

std::vector<double> ReportBuilder::speed_px_s(int id) const {
  std::vector<double> out;
  const auto it = mice_.find(id);
  if (it == mice_.end()) return out;
  for (double d : it->second.distance_per_bin) out.push_back(d / options_.speed_bin_s);
  return out;
}

double ReportBuilder::contact_s(int a, int b) const {
  const auto it = pairs_.find({std::min(a, b), std::max(a, b)});
  return it == pairs_.end() ? 0.0 : it->second.contact_frames / meta_.fps;
}

std::string ReportBuilder::data_json() const {
  const double t0 = static_cast<double>(std::max<FrameIndex>(first_frame_, 0));
  const FrameIndex n_frames = last_frame_ >= 0 ? last_frame_ - first_frame_ + 1 : 0;
  json d;
  d["title"] = meta_.title;
  d["video"] = meta_.video;
  d["fps"] = meta_.fps;
  d["width"] = meta_.width;
  d["height"] = meta_.height;
  d["n_frames"] = n_frames;
  d["duration_s"] = n_frames / meta_.fps;
  d["behaviors"] = meta_.behaviors;
  d["mice"] = mouse_ids();
  d["metrics"] = json::parse(meta_.metrics_json, nullptr, false);
  d["options"] = json::parse(meta_.options_json, nullptr, false);
  if (d["metrics"].is_discarded()) throw_internal("report: metrics are not valid JSON");
  if (d["options"].is_discarded()) throw_internal("report: options are not valid JSON");

  json bouts = json::array();
  for (const ReportBout& b : bouts_)
    bouts.push_back({{"id", b.id},
                     {"behavior", b.behavior},
                     {"start_s", (b.start_frame - t0) / meta_.fps},
                     {"end_s", (b.end_frame + 1 - t0) / meta_.fps}});
  d["ethogram"] = bouts;

  json budget = json::object(), trajectories = json::object(), speed = json::object(),
       occupancy_by_mouse = json::object();
  std::vector<std::int64_t> occupancy(static_cast<std::size_t>(grid_w_) * grid_h_, 0);
  for (const auto& [id, s] : mice_) {
    const std::string key = std::to_string(id);
    budget[key] = time_budget_s(id);
    json traj = json::array();
    for (const auto& p : s.trajectory) traj.push_back({p[0], p[1], p[2]});
    trajectories[key] = traj;
    json sp = json::array();
    const std::vector<double> v = speed_px_s(id);
    for (std::size_t i = 0; i < v.size(); ++i) sp.push_back({i * options_.speed_bin_s, v[i]});
    speed[key] = sp;
    for (std::size_t i = 0; i < s.occupancy.size(); ++i) occupancy[i] += s.occupancy[i];
    occupancy_by_mouse[key] = s.occupancy;
  }
  d["time_budget_s"] = budget;
  d["trajectories"] = trajectories;
  d["speed_px_s"] = speed;
  d["speed_bin_s"] = options_.speed_bin_s;
  d["occupancy"] = {{"cell_px", options_.occupancy_cell_px}, {"grid_w", grid_w_},
                    {"grid_h", grid_h_}, {"counts", occupancy}, {"by_mouse", occupancy_by_mouse}};

  json social = json::array();
  for (const auto& [key, p] : pairs_)
    social.push_back({{"a", key.first},
                      {"b", key.second},
                      {"contact_s", p.contact_frames / meta_.fps},
                      {"contact_bouts", p.contact_bouts},
                      {"mean_distance_px", p.distance_frames ? p.distance_sum_px / p.distance_frames : 0.0}});
  d["social"] = social;
  d["contact_distance_px"] = contact_threshold_px();
  return d.dump();
}

void ReportBuilder::write_html(const std::filesystem::path& out,
                               const std::filesystem::path& web_dir) const {
  const auto template_path = web_dir / "report" / "report.html";
  const auto script_path = web_dir / "report" / "report.js";
  const auto echarts_path = web_dir / "report" / "node_modules" / "echarts" / "dist" / "echarts.min.js";
  if (!std::filesystem::exists(echarts_path))
    throw_not_found("report: charting library " + quoted(echarts_path.string()) +
                    " is missing; run scripts/install-deps (npm ci in web/report)");
  std::string html = read_file(template_path);
  replace_once(html, "<!--BT_ECHARTS-->", "<script>" + script_safe(read_file(echarts_path)) + "</script>", template_path);
  replace_once(html, "<!--BT_DATA-->",
               "<script id=\"bt-data\" type=\"application/json\">" + script_safe(data_json()) + "</script>",
               template_path);
  replace_once(html, "<!--BT_REPORT_JS-->", "<script>" + script_safe(read_file(script_path)) + "</script>",
               template_path);
  write_file_atomically(out, html);
}

}  // namespace bt::analysis

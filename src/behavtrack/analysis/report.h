// The analysis report: one video's tracked, classified mice aggregated as they stream
// past, written as an offline report.html (charts drawn by ECharts, inlined).
//
//   bt::analysis::ReportBuilder report(meta, {});
//   for (each frame) report.add_frame(frame_index, tracked_mice);  // Instance.id + .behavior
//   report.write_html("out/report.html", bt::web_dir());
//
// What it shows (web/report/report.js draws it): the ethogram per mouse over time, the
// time budget per behaviour per mouse, trajectories and an occupancy heat map, speed over
// time, a social contact summary, and the model metrics and options used.
// Memory is flat in video length: it keeps bouts (one per behaviour change), one
// trajectory point per 1/trajectory_rate_hz seconds, one speed value per bin and the
// occupancy grid; never the frames.
// Coordinates are video pixels; speeds px/s; times seconds from the first frame.
// Thread safety: one builder per thread.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "behavtrack/core/types.h"

namespace bt::analysis {

struct ReportOptions {
  double occupancy_cell_px = 16;   // side of one occupancy grid cell, pixels
  double trajectory_rate_hz = 5;   // trajectory points kept per second per mouse
  double speed_bin_s = 1.0;        // speed averaged over bins of this length, seconds
  // Two mice are in contact when a nose is within this distance of any keypoint of the
  // other mouse; 0 = half the mean body length (nose to tail base) seen so far.
  double contact_distance_px = 0;

  void validate() const;
};

struct ReportMeta {
  std::string title;                   // shown at the top; the video's name by default
  std::string video;
  double fps = 0;
  int width = 0, height = 0;
  std::vector<std::string> behaviors;  // the ethogram's classes, in legend order
  std::string metrics_json = "{}";     // model metrics (JSON object text)
  std::string options_json = "{}";     // options the run used (JSON object text)
};

// One behaviour bout of one mouse: frames [start_frame, end_frame] inclusive.
struct ReportBout {
  int id = 0;
  std::string behavior;
  FrameIndex start_frame = 0, end_frame = 0;
};

class ReportBuilder {
 public:
  ReportBuilder(ReportMeta meta, ReportOptions options);

  // The mice of one frame, in increasing frame order; instances without an id are
  // ignored. Instance.behavior may be empty (unclassified).
  void add_frame(FrameIndex frame, const std::vector<Instance>& mice);

  // Aggregates so far.
  std::vector<int> mouse_ids() const;
  const std::vector<ReportBout>& bouts() const { return bouts_; }
  std::map<std::string, double> time_budget_s(int id) const;
  std::vector<double> speed_px_s(int id) const;  // one value per speed bin
  double contact_s(int a, int b) const;

  // The report's data as JSON (the page's single input).
  std::string data_json() const;
  // Writes report.html atomically, inlining web_dir/report/report.js and ECharts.
  void write_html(const std::filesystem::path& out, const std::filesystem::path& web_dir) const;

 private:
  struct MouseState {
    bool seen = false;
    FrameIndex last_frame = -1;
    double last_x = 0, last_y = 0;
    double next_trajectory_t = 0;
    std::vector<std::array<double, 3>> trajectory;  // t, x, y
    std::vector<double> distance_per_bin;           // pixels travelled in each bin
    std::map<std::string, std::int64_t> frames_per_behavior;
    int open_bout = -1;                             // index into bouts_, or -1
    std::vector<std::int64_t> occupancy;            // grid counts
  };
  struct PairState {
    std::int64_t contact_frames = 0;
    int contact_bouts = 0;
    bool in_contact = false;
    double distance_sum_px = 0;
    std::int64_t distance_frames = 0;
  };

  void add_mouse(FrameIndex frame, const Instance& mouse);
  void add_pairs(const std::vector<const Instance*>& mice);
  double contact_threshold_px() const;

  ReportMeta meta_;
  ReportOptions options_;
  int grid_w_ = 1, grid_h_ = 1;
  FrameIndex first_frame_ = -1, last_frame_ = -1;
  std::map<int, MouseState> mice_;
  std::map<std::pair<int, int>, PairState> pairs_;
  std::vector<ReportBout> bouts_;
  double body_length_sum_px_ = 0;
  std::int64_t body_length_count_ = 0;
};

// Centre of a mouse: mean of its present keypoints, or its box centre.
std::array<double, 2> body_centre(const Instance& mouse);

}  // namespace bt::analysis

// The DLC open-field set (../shared/data/dlc-openfield) as pose datasets, for the benchmarks
// and the experiment; read from labels_4kp.csv in place.
// Box rule (the data has no boxes): the tight box of the four keypoints grown by 20 px on
// each side (about half a mouse's body width), clipped to the image.
// Split (issue 5): images whose index % 5 == 4 are the test set (23); of the other 93,
// every 7th (position % 7 == 6, 13 images, ~15% as BehavTrack) validates, 80 train.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>

#include "behavtrack/core/error.h"
#include "behavtrack/pose/pose_model.h"

namespace bt::bench {

inline std::filesystem::path dlc_dir() {
  return std::filesystem::path(BT_SHARED_DATA_DIR) / "dlc-openfield";
}

struct DlcSplit {
  pose::PoseDataset train, val, test;
};

inline DlcSplit load_dlc(double margin_px = 20) {
  std::ifstream in(dlc_dir() / "labels_4kp.csv");
  if (!in) throw_not_found("dlc-openfield: labels_4kp.csv not found");
  std::string line;
  std::getline(in, line);
  DlcSplit split;
  int index = 0, pool_position = 0;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::getline(ss, cell, ',');
    pose::PoseSample s;
    s.name = cell;
    s.image = cv::imread((dlc_dir() / cell).string(), cv::IMREAD_COLOR);
    if (s.image.empty()) throw_io(fmt::format("dlc-openfield: cannot read {}", cell));
    Instance inst;
    for (int k = 0; k < 4; ++k) {
      Keypoint kp;
      std::getline(ss, cell, ',');
      kp.x = std::stod(cell);
      std::getline(ss, cell, ',');
      kp.y = std::stod(cell);
      kp.v = Visibility::kVisible;
      inst.keypoints.push_back(kp);
    }
    inst.box = inst.keypoint_box(margin_px)->clipped(s.image.cols, s.image.rows);
    s.instances.push_back(inst);
    if (index % 5 == 4)
      split.test.push_back(std::move(s));
    else
      (pool_position++ % 7 == 6 ? split.val : split.train).push_back(std::move(s));
    ++index;
  }
  return split;
}

}  // namespace bt::bench

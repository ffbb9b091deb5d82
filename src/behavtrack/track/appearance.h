// A cheap appearance cue for re-identifying a mouse: the colour histogram of its box.
//
//   bt::track::Appearance a = bt::track::appearance_histogram(bgr_frame, detection.box);
//
// Colour frames: hue x saturation histogram (8 x 4 bins) in HSV; gray frames: 16 gray
// levels. Only the central 80% of the box is used (less background), clipped to the
// image; the histogram sums to 1 (empty when the box misses the image).
// Thread safety: pure function.
#pragma once

#include <opencv2/core/mat.hpp>

#include "behavtrack/core/types.h"
#include "behavtrack/track/track_state.h"

namespace bt::track {

Appearance appearance_histogram(const cv::Mat& image, const Box& box);

}  // namespace bt::track

// A cheap appearance cue for re-identifying a mouse: the colour histogram of its box.
//
//   bt::track::Appearance a = bt::track::appearance_histogram(bgr_frame, detection.box);
//   std::vector<bt::track::Appearance> all = bt::track::appearance_histograms(bgr_frame, frame.instances);
//
// Colour frames: hue x saturation histogram (8 x 4 bins) in HSV; gray frames: 16 gray
// levels. Only the central 80% of the box is used (less background), clipped to the
// image; the histogram sums to 1 (empty when the box misses the image).
// appearance_histograms gives one per detection of a colour frame, for telling coats apart
// over a whole video (identity_resolver.h): it leaves out the pixels inside the other
// detections' boxes (a box bounds its mouse's body, the tail aside, so a box overlapping
// a neighbour in contact still holds one mouse's colours) and the pixels within 32 grey
// levels of the floor (the median colour of the frame), and counts hue x saturation x
// value (8 x 4 x 4 bins): black, white and agouti coats differ mostly in brightness, which
// a hue x saturation histogram does not see. Empty where less than min_visible of the
// central region is outside other boxes, or fewer than 30 mouse pixels are left. Gray
// frames: as appearance_histogram.
// Tried in session 10 and not kept (bench/track BM_TrackerAppearance, heavy damage, with
// the offline pass and colour repair): the region as a band along the body (the convex
// hull of the keypoints grown by 0.2 of their extent, other mice's bands masked) so that
// side-by-side mice in contact keep a histogram each: IDF1 0.8108 -> 0.8111 on seeds
// 300..305, but 0.9013 -> 0.8969 on 400..419 (seed 411 0.770 -> 0.950, 403 0.985 ->
// 0.820); grown by 0.3: 0.8946; the band only where other boxes cover the box region:
// 0.8918 (411 -> 0.983, 403 -> 0.680). More clean boxes in contacts change which single
// decisions flip a whole video, with no net gain.
// Thread safety: pure functions.
#pragma once

#include <vector>

#include <opencv2/core/mat.hpp>

#include "behavtrack/core/types.h"
#include "behavtrack/track/track_state.h"

namespace bt::track {

Appearance appearance_histogram(const cv::Mat& image, const Box& box);

std::vector<Appearance> appearance_histograms(const cv::Mat& image, const std::vector<Instance>& detections,
                                              double min_visible = 0.5);

}  // namespace bt::track

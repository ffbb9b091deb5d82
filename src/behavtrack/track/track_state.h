// One tracked mouse: its motion filter, last observation, appearance and life-cycle
// counters; the per-track half of the tracker (ByteTrack's STrack).
//
//   bt::track::Track t(options, frames, detection, frame, fps);
//   t.predict();                         // once per frame, before association
//   t.predicted();                        // box + keypoints expected in this frame
//   t.update(detection, frame);           // after it was matched
//   t.mark_missed();                      // after it was not
//
// Filter coordinates: 0 cx, 1 cy, 2 w, 3 h (box, pixels), then x_k, y_k of keypoint k.
// Predicted keypoints: with turn_model, the last observed shape turned on at the angular
// speed between the last two observations and moved with the filter's translation;
// otherwise each keypoint's own filter. Without a motion model the prediction is the last
// observation.
// Thread safety: a value owned by one tracker.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "behavtrack/core/types.h"
#include "behavtrack/track/kalman.h"
#include "behavtrack/track/tracker_options.h"

namespace bt::track {

using Appearance = std::vector<float>;  // normalised colour histogram; empty when unknown

class Track {
 public:
  Track(const TrackerOptions& options, const TrackerFrames& frames, const Instance& detection,
        FrameIndex frame, double fps);

  void predict();
  const Instance& predicted() const { return predicted_; }
  void update(const Instance& detection, FrameIndex frame);
  void mark_missed();

  // Takes over the motion state and last observation of `found` (an unconfirmed track
  // that turned out to be this lost mouse); keeps this track's id and blends appearances.
  void adopt(const Track& found);
  // Swaps the head and tail keypoints in the filter and the last observation.
  void swap_head_tail(int head, int tail);
  // Updates the colour histogram as a running average.
  void update_appearance(const Appearance& a, double rate);
  const Appearance& appearance() const { return appearance_; }

  // Velocity of the box centre, pixels/second (0 without a motion model).
  std::pair<double, double> velocity_px_s() const;
  const Instance& last() const { return last_; }
  FrameIndex last_frame() const { return last_frame_; }
  int lost_frames() const { return lost_frames_; }
  int hits() const { return hits_; }
  double body_length_px() const;

  std::optional<TrackId> id;  // set when the track is confirmed
  int backward_frames = 0;    // consecutive frames moving tail-first (flip vote)
  int contradicted_frames = 0;        // consecutive matches whose detection was turned round
  FrameIndex contradicted_since = 0;  // the first frame of that run
  bool dropped = false;       // to be removed at the end of the frame
  // Observations made before the track was confirmed, replayed into the output then.
  std::vector<std::pair<FrameIndex, Instance>> unconfirmed_history;

 private:
  void refresh_prediction(int frames_ahead);
  void turn_predicted_keypoints(int frames_ahead);

  const TrackerOptions* options_;
  TrackerFrames frames_;
  double dt_s_;
  ConstantVelocityKalman kf_;
  std::vector<char> keypoint_seen_;
  Instance last_, predicted_, previous_;
  FrameIndex last_frame_ = 0, previous_frame_ = -1;
  int lost_frames_ = 0, hits_ = 1;
  Appearance appearance_;
};

}  // namespace bt::track

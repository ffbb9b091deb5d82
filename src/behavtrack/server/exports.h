// Behaviour bouts to the two exports of the annotation app.
//
// boris_events_csv: BORIS's tabular events layout, one START and one STOP row per bout
// (state events), sorted by time. START time = start_frame / fps; STOP time = (end_frame +
// 1) / fps, the end of the bout's last frame, so that a bout of one frame lasts 1/fps.
// Subject is "mouse <track id>". Columns:
//   Observation id,Media file,Total length,FPS,Subject,Behavior,Behavioral category,
//   Comment,Status,Time,Image index
// per_frame_labels_csv: one row per frame, animal and behaviour a bout covers, sorted by
// frame then id (DESIGN.md's behavior.csv columns without the model's confidences):
//   frame,time_s,id,behavior
// Thread safety: reentrant.
#pragma once

#include <string>
#include <vector>

#include "behavtrack/server/annotation_backend.h"

namespace bt::server {

std::string boris_events_csv(const VideoRow& video, std::vector<Bout> bouts);
std::string per_frame_labels_csv(const VideoRow& video, std::vector<Bout> bouts);

}  // namespace bt::server

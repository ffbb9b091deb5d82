// Behaviour labels from a project's confirmed bouts, for the commands that train behaviour
// classifiers (`behavior train|cv|train-video ... --project DIR`): what a person labelled
// in the annotation app (or imported from BORIS), never the model's unconfirmed proposals.
//
//   bt::cli::ProjectLabels from(project_dir);
//   bt::behavior::LoadedVideo v = from.load(tracks_file, video_file_or_empty, behaviors, "");
//   std::cout << from.summary_line();
//
// Each tracks file is matched to its registered video (project/videos.h video_of_tracks);
// the bouts' track ids must be the tracks' ids. In a build without the project store
// (BT_ENABLE without project) the constructor throws. Thread safety: one per thread.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

#include "behavtrack/behavior/labels.h"
#include "behavtrack/core/error.h"
#if BT_HAS_PROJECT
#include "behavtrack/project/project.h"
#include "behavtrack/project/videos.h"
#endif

namespace bt::cli {

#if BT_HAS_PROJECT

class ProjectLabels {
 public:
  explicit ProjectLabels(const std::filesystem::path& dir) : project_(project::Project::open(dir)) {}

  // The project's behaviour list (the default when --behaviors is not given).
  const std::vector<std::string>& behaviors() const { return project_.behaviors(); }

  // One tracks file and the labels of its video's confirmed bouts. Throws bt::Error naming
  // the project and video when a bout's behaviour is not in `behaviors` or the video has
  // no confirmed bout.
  behavior::LoadedVideo load(const std::filesystem::path& tracks_file, const std::filesystem::path& video_file,
                             const std::vector<std::string>& behaviors, const std::string& unlabelled_as) {
    InstancesFile tracks = read_instances_json(tracks_file);
    const FrameIndex last_frame = tracks.frames.empty() ? -1 : tracks.frames.back().frame;
    const project::VideoRecord v =
        project::video_of_tracks(project_, tracks_file, tracks.header.video, video_file, last_frame);
    std::size_t left_out = 0;
    const std::vector<project::Bout> bouts = project::confirmed_bouts(project_.list_bouts(v.id), &left_out);
    unconfirmed_left_out_ += left_out;
    behavior::LabelSet labels(behaviors);
    for (const project::Bout& b : bouts) {
      const int c = labels.class_index(b.behavior);
      if (c < 0)
        throw_invalid(fmt::format("project {}: a bout of video {} is {}, which is not in the behaviour list ({}); "
                                  "give --behaviors",
                                  quoted(project_.dir().string()), quoted(v.path.filename().string()),
                                  quoted(b.behavior), fmt::join(behaviors, ",")));
      for (FrameIndex f = b.start_frame; f <= b.end_frame; ++f) labels.set(f, b.track, c);
    }
    if (labels.size() == 0)
      throw_invalid(fmt::format("project {}: video {} has no confirmed bout to train on{}; label some in "
                                "'behavtrack annotate'",
                                quoted(project_.dir().string()), quoted(v.path.filename().string()),
                                left_out ? fmt::format(" ({} proposals wait for confirmation)", left_out) : ""));
    labelled_frames_ += labels.size();
    return behavior::labelled_video(std::move(tracks), std::move(labels),
                                     "project bouts of tracks " + quoted(tracks_file.string()), unlabelled_as);
  }

  // What was trained on, for the command's summary.
  std::string summary_line() const {
    return fmt::format("labels: the confirmed bouts of project {} ({} labelled mouse-frames; {} unconfirmed "
                       "proposals left out)\n",
                       project_.dir().string(), labelled_frames_, unconfirmed_left_out_);
  }

 private:
  project::Project project_;
  std::size_t labelled_frames_ = 0, unconfirmed_left_out_ = 0;
};

#else
class ProjectLabels {
 public:
  explicit ProjectLabels(const std::filesystem::path& dir) {
    throw_invalid("--project " + quoted(dir.string()) + ": this build has no project store (BT_ENABLE)");
  }
  const std::vector<std::string>& behaviors() const { return behaviors_; }
  behavior::LoadedVideo load(const std::filesystem::path&, const std::filesystem::path&,
                             const std::vector<std::string>&, const std::string&) {
    return {};
  }
  std::string summary_line() const { return {}; }

 private:
  std::vector<std::string> behaviors_;
};
#endif

}  // namespace bt::cli

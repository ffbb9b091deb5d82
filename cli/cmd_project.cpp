// The project commands: `project init|info|migrate`, `video add|list|relink`,
// `frames sample|split` and `labels import|export`. Each turns flags into options, makes
// one library call (bt::project) and prints a summary.
#include <cstdio>
#include <memory>
#include <sstream>

#include "behavtrack/core/error.h"
#include "behavtrack/project/labels.h"
#include "behavtrack/project/preprocess.h"
#include "behavtrack/project/project.h"
#include "behavtrack/project/sampler.h"
#include "behavtrack/project/splits.h"
#include "behavtrack/project/videos.h"
#include "command_registry.h"

namespace {

namespace bp = bt::project;

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// ---- project ----

struct InitFlags {
  std::string dir, keypoints = "nose,earL,earR,tailB", flip = "earL:earR", behaviors;
  int animals = 5;
  bool keypoints_given = false, flip_given = false;
};

void run_init(const InitFlags& f) {
  // The default flip pair belongs to the default keypoints. Training mirrors images and
  // swaps each pair, so a skeleton of one's own must say its pairs, or that it has none.
  if (f.keypoints_given && !f.flip_given)
    bt::throw_invalid("project init: --keypoints " + f.keypoints +
                      " needs --flip: its left/right pairs, e.g. --flip leftear:rightear, or --flip none");
  bp::ProjectOptions o;
  o.skeleton = bt::Skeleton::from_names(f.keypoints, f.flip == "none" ? "" : f.flip);
  o.expected_animals = f.animals;
  if (!f.behaviors.empty()) o.behaviors = split_csv(f.behaviors);
  const bp::Project p = bp::Project::create(f.dir, o);
  std::printf("project: created %s (%d keypoints, %d animals per frame, %zu behaviours)\n", p.dir().c_str(),
              p.skeleton().size(), p.expected_animals(), p.behaviors().size());
}

void run_info(const std::string& dir) {
  const bp::Project p = bp::Project::open(dir);
  std::printf("project %s (schema %d)\n", p.dir().c_str(), bp::kSchemaVersion);
  std::string kps;
  for (const auto& k : p.skeleton().keypoints) kps += (kps.empty() ? "" : ",") + k;
  std::printf("keypoints: %s\nanimals per frame: %d\n", kps.c_str(), p.expected_animals());
  const auto videos = p.list_videos();
  std::printf("videos: %zu\n", videos.size());
  bp::FrameQuery q;
  q.limit = 1;
  const bp::FramePage page = p.list_frames(q);
  std::printf("frames: %lld (%lld complete)\n", static_cast<long long>(page.total), static_cast<long long>(page.complete));
  if (auto c = p.latest_cycle()) std::printf("latest cycle: %d\n", *c);
  const bp::BoutCounts bouts = p.count_bouts();
  std::printf("bouts: %lld (%lld proposed, waiting for confirmation)\n", static_cast<long long>(bouts.total),
              static_cast<long long>(bouts.unconfirmed));
}

// ---- video ----

void run_video_add(const std::string& dir, const std::vector<std::string>& files) {
  bp::Project p = bp::Project::open(dir);
  for (const auto& file : files) {
    const auto [id, added] = bp::add_video_file(p, file);
    const bp::VideoRecord v = p.get_video(id);
    std::printf("video %lld: %s %s (%dx%d, %.3f fps, %lld frames, %zu key frames)\n", static_cast<long long>(id),
                v.path.filename().c_str(), added ? "added" : "already registered", v.width, v.height, v.fps,
                static_cast<long long>(v.n_frames), v.key_frames.size());
  }
}

void run_video_list(const std::string& dir) {
  const bp::Project p = bp::Project::open(dir);
  std::printf("id\tframes\tfps\tsize\thash\tpath\n");
  for (const auto& v : p.list_videos())
    std::printf("%lld\t%lld\t%.3f\t%dx%d\t%s\t%s%s\n", static_cast<long long>(v.id), static_cast<long long>(v.n_frames),
                v.fps, v.width, v.height, v.hash.c_str(), v.path.c_str(), v.missing ? " (missing)" : "");
}

void run_video_relink(const std::string& dir, const std::vector<std::string>& files) {
  bp::Project p = bp::Project::open(dir);
  for (const auto& file : files) {
    const bp::VideoId id = bp::relink_video_file(p, file);
    std::printf("video %lld: now at %s\n", static_cast<long long>(id), file.c_str());
  }
}

struct PreprocessFlags {
  std::string dir;
  bool color = false;
  bp::PreprocessOptions o;
};

void run_preprocess(const PreprocessFlags& f, const bt::cli::Context& ctx) {
  bp::PreprocessOptions o = f.o;
  o.gray = !f.color;
  o.validate();
  bp::Project p = bp::Project::open(f.dir);
  const bp::PreprocessSummary s = bp::preprocess_videos(p, o, ctx.progress());
  std::printf("video preprocess: %lld videos written (%lld frames), %lld already complete; %dx%d at %g fps, %s\n",
              static_cast<long long>(s.videos), static_cast<long long>(s.frames_out), static_cast<long long>(s.skipped),
              s.width, s.height, s.fps, o.codec.c_str());
}

// ---- frames ----

struct SampleFlags {
  std::string dir, strategy = "appearance";
  bp::SampleOptions o;
};

void run_sample(const SampleFlags& f, const bt::cli::Context& ctx) {
  bp::SampleOptions o = f.o;
  o.strategy = bp::sampling_strategy_from_string(f.strategy);
  o.validate();
  bp::Project p = bp::Project::open(f.dir);
  const bp::SampleSummary s = bp::sample_frames(p, o, ctx.progress());
  std::string strata;
  for (auto n : s.per_stratum) strata += (strata.empty() ? "" : " ") + std::to_string(n);
  std::printf("frames sample: %lld frames (%s, seed %llu) from %lld candidates in %lld videos; per stratum: %s\n",
              static_cast<long long>(s.sampled), bp::to_string(o.strategy), static_cast<unsigned long long>(o.seed),
              static_cast<long long>(s.candidates), static_cast<long long>(s.videos), strata.c_str());
}

struct SplitFlags {
  std::string dir;
  bp::SplitOptions o;
};

void run_split(const SplitFlags& f) {
  f.o.validate();
  bp::Project p = bp::Project::open(f.dir);
  const bp::SplitSummary s = bp::split_frames(p, f.o);
  std::string counts;
  for (const auto& [split, n] : s.counts) counts += (counts.empty() ? "" : ", ") + std::string(bp::to_string(split)) + " " + std::to_string(n);
  std::printf("frames split: cycle %d (seed %llu): %s\n", s.cycle, static_cast<unsigned long long>(f.o.seed), counts.c_str());
}

// ---- labels ----

struct LabelFlags {
  std::string dir, format, path, split, keypoint_map;
  long long video = 0;
  int cycle = -1;
  bool unconfirmed = false;
  bp::ImportOptions in;
  bp::ExportOptions out;
};

void run_import(const LabelFlags& f, const bt::cli::Context& ctx) {
  bp::ImportOptions o = f.in;
  o.format = bp::label_format_from_string(f.format);
  o.path = f.path;
  if (f.video > 0) o.video_id = f.video;
  o.confirmed = !f.unconfirmed;
  o.keypoint_map = bp::parse_keypoint_map(f.keypoint_map);
  o.validate();
  bp::Project p = bp::Project::open(f.dir);
  const bp::ImportSummary s = bp::import_labels(p, o, ctx.progress());
  std::printf("labels import (%s): %lld frames, %lld instances, %lld images copied, %lld bouts from %s\n", f.format.c_str(),
              static_cast<long long>(s.frames), static_cast<long long>(s.instances), static_cast<long long>(s.images),
              static_cast<long long>(s.bouts), f.path.c_str());
}

void run_export(const LabelFlags& f, const bt::cli::Context& ctx) {
  bp::ExportOptions o = f.out;
  o.format = bp::label_format_from_string(f.format);
  o.path = f.path;
  if (!f.split.empty()) o.split = bp::split_from_string(f.split);
  if (f.cycle >= 0) o.cycle = f.cycle;
  if (f.video > 0) o.video_id = f.video;
  o.include_unconfirmed = f.unconfirmed;
  o.validate();
  bp::Project p = bp::Project::open(f.dir);
  const bp::ExportSummary s = bp::export_labels(p, o, ctx.progress());
  std::printf("labels export (%s): %lld frames, %lld instances, %lld bouts to %s\n", f.format.c_str(),
              static_cast<long long>(s.frames), static_cast<long long>(s.instances), static_cast<long long>(s.bouts),
              f.path.c_str());
  if (s.bouts_unconfirmed_skipped > 0)
    std::printf("left out %lld unconfirmed proposed bouts (confirm them in 'behavtrack annotate', or pass "
                "--include-unconfirmed)\n",
                static_cast<long long>(s.bouts_unconfirmed_skipped));
}

const char* const kFormats = "behavtrack, behavtrack-annotation, yolo, coco, dlc, npy, boris";

const bt::cli::CommandRegistration kProject(
    "project", "Create and inspect a project folder (behavtrack.db, media/, models/, runs/)",
    [](CLI::App& group, bt::cli::Context&) {
      auto init = std::make_shared<InitFlags>();
      auto* c = group.add_subcommand("init", "Create a project folder with its database");
      c->add_option("DIR", init->dir, "Project folder (created; must not hold a project)")->required();
      auto* keypoints = c->add_option("--keypoints", init->keypoints,
                                      "Keypoint names in order, comma-separated (default nose,earL,earR,tailB)");
      auto* flip = c->add_option("--flip", init->flip,
                                 "Left/right keypoint pairs, e.g. earL:earR,pawL:pawR, or none (default earL:earR; "
                                 "required with --keypoints)");
      c->add_option("--animals", init->animals, "Animals per frame; a frame is complete with this many (default 5)");
      c->add_option("--behaviors", init->behaviors, "Behaviour names, comma-separated (default: the 8 of seed 000)");
      c->callback([init, keypoints, flip] {
        init->keypoints_given = keypoints->count() > 0;
        init->flip_given = flip->count() > 0;
        run_init(*init);
      });

      auto info_dir = std::make_shared<std::string>();
      auto* i = group.add_subcommand("info", "Print a project's skeleton, videos, frames and cycles");
      i->add_option("DIR", *info_dir, "Project folder")->required();
      i->callback([info_dir] { run_info(*info_dir); });

      auto mig_dir = std::make_shared<std::string>();
      auto* m = group.add_subcommand("migrate", "Upgrade an older project's database to this version's schema");
      m->add_option("DIR", *mig_dir, "Project folder")->required();
      m->callback([mig_dir] {
        const int from = bp::Project::migrate(*mig_dir);
        std::printf("project migrate: schema %d -> %d\n", from, bp::kSchemaVersion);
      });
    });

const bt::cli::CommandRegistration kVideo(
    "video", "Register, probe, read and preprocess videos", [](CLI::App& group, bt::cli::Context& ctx) {
      struct Args {
        std::string dir;
        std::vector<std::string> files;
      };
      auto add = std::make_shared<Args>();
      auto* a = group.add_subcommand("add", "Register videos in a project (probe, content hash, key frames); a file already registered is skipped");
      a->add_option("DIR", add->dir, "Project folder")->required();
      a->add_option("VIDEO", add->files, "Video files")->required();
      a->callback([add] { run_video_add(add->dir, add->files); });

      auto list = std::make_shared<std::string>();
      auto* l = group.add_subcommand("list", "List a project's videos");
      l->add_option("DIR", *list, "Project folder")->required();
      l->callback([list] { run_video_list(*list); });

      auto relink = std::make_shared<Args>();
      auto* r = group.add_subcommand("relink", "Point registered videos at their moved files (matched by content hash)");
      r->add_option("DIR", relink->dir, "Project folder")->required();
      r->add_option("VIDEO", relink->files, "Moved video files")->required();
      r->callback([relink] { run_video_relink(relink->dir, relink->files); });

      auto pre = std::make_shared<PreprocessFlags>();
      auto* pp = group.add_subcommand("preprocess", "Gray, eq, lanczos scale, fps, trim and re-encode every video of a project (libavfilter, in parallel); complete outputs are skipped");
      pp->add_option("DIR", pre->dir, "Project folder")->required();
      pp->add_option("--fps", pre->o.fps, "Output frames per second (default: the smallest of the videos, rounded)");
      pp->add_option("--width", pre->o.width, "Output width, even pixels (default: the smallest of the videos)");
      pp->add_option("--height", pre->o.height, "Output height, even pixels (default: the smallest of the videos)");
      pp->add_flag("--color", pre->color, "Keep colour (default: gray, as BehavTrack)");
      pp->add_option("--gamma", pre->o.gamma, "eq gamma, 0.1..10 (default 1; BehavTrack 1.8)");
      pp->add_option("--brightness", pre->o.brightness, "eq brightness, -1..1 (default 0; BehavTrack 0.17)");
      pp->add_option("--contrast", pre->o.contrast, "eq contrast (default 1; BehavTrack 1.3)");
      pp->add_option("--duration-s", pre->o.duration_s, "Keep the first N seconds; 0 = all (default 0; BehavTrack 900)");
      pp->add_option("--codec", pre->o.codec, "libx264 or libx265 (default libx264)");
      pp->add_option("--crf", pre->o.crf, "Encoder quality 0..51, lower is better (default 20)");
      pp->add_option("--preset", pre->o.preset, "x264/x265 preset (default veryfast)");
      pp->add_option("--jobs", pre->o.jobs, "Videos processed at once; 0 = core count (default 0)");
      pp->callback([pre, &ctx] { run_preprocess(*pre, ctx); });
    });

const bt::cli::CommandRegistration kFrames(
    "frames", "Sample frames for annotation and split them", [](CLI::App& group, bt::cli::Context& ctx) {
      auto s = std::make_shared<SampleFlags>();
      auto* c = group.add_subcommand("sample", "Sample frames from the project's videos (frame-exact, cached as PNG)");
      c->add_option("DIR", s->dir, "Project folder")->required();
      c->add_option("--n", s->o.n, "Frames to sample in total (default 2000)");
      c->add_option("--every", s->o.every_frames, "Candidate stride in frames: every Nth frame is a candidate (default 50)");
      c->add_option("--k", s->o.k, "Appearance strata, k-means clusters (default 8)");
      c->add_option("--seed", s->o.seed, "Random seed; the same seed gives the same frames (default 42)")
          ->check(bt::cli::seed_check());
      c->add_option("--restarts", s->o.kmeans_restarts, "k-means restarts (default 10)");
      c->add_option("--strategy", s->strategy, "appearance (BehavTrack's strata) or uniform (evenly in time) (default appearance)");
      c->add_option("--threads", s->o.threads, "Videos decoded at once; 0 = core count (default 0)");
      c->callback([s, &ctx] { run_sample(*s, ctx); });

      auto sp = std::make_shared<SplitFlags>();
      auto* d = group.add_subcommand("split", "Hold out a test set (stratified); optionally draw the first active-learning split");
      d->add_option("DIR", sp->dir, "Project folder")->required();
      d->add_option("--test", sp->o.test_fraction, "Fraction of frames held out for testing, 0..1 (default 0.15)");
      d->add_option("--seed", sp->o.seed, "Random seed (default 42)")->check(bt::cli::seed_check());
      d->add_flag("--initial-cycle", sp->o.initial_cycle, "Also draw the first cycle: frames to annotate (train/val), a predict set, the reserve");
      d->add_option("--annotate", sp->o.annotate_n, "Initial cycle: frames to annotate (default 100)");
      d->add_option("--predict", sp->o.predict_fraction, "Initial cycle: predict set size as a fraction of --annotate (default 0.3)");
      d->add_option("--val", sp->o.val_fraction, "Initial cycle: fraction of annotated frames for validation (default 0.15)");
      d->callback([sp] { run_split(*sp); });
    });

const bt::cli::CommandRegistration kLabels(
    "labels", "Import and export labels in the field's formats", [](CLI::App& group, bt::cli::Context& ctx) {
      auto in = std::make_shared<LabelFlags>();
      auto* i = group.add_subcommand("import", "Import labels (all or nothing); images are copied into the project");
      i->add_option("DIR", in->dir, "Project folder")->required();
      i->add_option("PATH", in->path, "File or folder to import (see docs/formats.md)")->required();
      i->add_option("--format", in->format, std::string("One of ") + kFormats)->required();
      i->add_option("--video", in->video, "npy, boris, behavtrack: id of the video the labels belong to (see `video list`)");
      i->add_option("--fps", in->in.fps, "boris: frames per second of the video (default: the video's)");
      i->add_option("--offset-s", in->in.start_offset_s, "boris: media time of the video's first frame, seconds (default 0)");
      i->add_option("--box-margin-px", in->in.derived_box_margin_px, "dlc, npy without boxes: derived box margin around the keypoints, pixels (default 10)");
      i->add_option("--keypoint-map", in->keypoint_map,
                    "dlc, coco, behavtrack, behavtrack-annotation: the file's keypoint names as the project's, FILE=PROJECT,... ; FILE= leaves one out "
                    "(e.g. snout=nose,leftear=earL,rightear=earR,tailbase=tailB,tailend=)");
      i->add_option("--author", in->in.author, "Author recorded with the imported labels (default import)");
      i->add_flag("--unconfirmed", in->unconfirmed, "Import as unconfirmed predictions instead of confirmed labels");
      i->callback([in, &ctx] { run_import(*in, ctx); });

      auto out = std::make_shared<LabelFlags>();
      auto* e = group.add_subcommand("export", "Export labels; the output appears whole or not at all");
      e->add_option("DIR", out->dir, "Project folder")->required();
      e->add_option("PATH", out->path, "File or folder to write (must not exist)")->required();
      e->add_option("--format", out->format, std::string("One of ") + kFormats)->required();
      e->add_option("--split", out->split, "Only frames of this split: test, train, val, predict or reserve");
      e->add_option("--cycle", out->cycle, "Active-learning cycle whose splits to use (default: the latest)");
      e->add_option("--video", out->video, "npy, boris, behavtrack: id of the video to export");
      e->add_flag("--include-unconfirmed", out->unconfirmed,
                  "Also export unconfirmed predictions (instances, and for boris the proposed bouts)");
      e->add_option("--scorer", out->out.scorer, "dlc: scorer name (default behavtrack)");
      e->add_option("--class-name", out->out.class_name, "yolo, coco: class name (default mouse)");
      e->callback([out, &ctx] { run_export(*out, ctx); });
    });

}  // namespace

// Label import/export: the DLC data set, round trips through every format, and bad inputs
// that must leave the project untouched with a message naming file, line and field.
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/instances_json.h"

#include "behavtrack/project/labels.h"
#include "behavtrack/project/labels_internal.h"
#include "behavtrack/project/npy.h"
#include "behavtrack/project/videos.h"
#include "project_fixtures.h"

namespace bt::project {
namespace {

namespace fs = std::filesystem;
using bt::test::TempDir;
using namespace bt::project::test;

ImportSummary import(Project& p, LabelFormat f, const fs::path& path, std::optional<VideoId> video = std::nullopt) {
  ImportOptions o;
  o.format = f;
  o.path = path;
  o.video_id = video;
  return import_labels(p, o, {});
}

void export_to(Project& p, LabelFormat f, const fs::path& path, std::optional<VideoId> video = std::nullopt) {
  ExportOptions o;
  o.format = f;
  o.path = path;
  o.video_id = video;
  export_labels(p, o, {});
}

// name -> instances of every frame.
std::map<std::string, std::vector<Annotation>> all_labels(const Project& p) {
  FrameQuery q;
  q.limit = 0;
  std::map<std::string, std::vector<Annotation>> out;
  for (const FrameRecord& f : p.list_frames(q).frames) out[fs::path(f.name).filename().string()] = p.get_frame(f.id).instances;
  return out;
}

void expect_same_labels(const Project& a, const Project& b, double tolerance_px) {
  const auto la = all_labels(a), lb = all_labels(b);
  ASSERT_EQ(la.size(), lb.size());
  for (const auto& [name, insts] : la) {
    ASSERT_TRUE(lb.count(name)) << name;
    const auto& other = lb.at(name);
    ASSERT_EQ(insts.size(), other.size()) << name;
    for (std::size_t i = 0; i < insts.size(); ++i) {
      const Instance &x = insts[i].instance, &y = other[i].instance;
      EXPECT_NEAR(x.box.x1, y.box.x1, tolerance_px) << name;
      EXPECT_NEAR(x.box.y2, y.box.y2, tolerance_px) << name;
      for (std::size_t k = 0; k < x.keypoints.size(); ++k) {
        EXPECT_EQ(x.keypoints[k].v, y.keypoints[k].v) << name << " kp " << k;
        EXPECT_NEAR(x.keypoints[k].x, y.keypoints[k].x, tolerance_px) << name << " kp " << k;
        EXPECT_NEAR(x.keypoints[k].y, y.keypoints[k].y, tolerance_px) << name << " kp " << k;
      }
      EXPECT_EQ(x.id, y.id);
    }
  }
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(ProjectLabels, DlcOpenFieldImportGives116FramesMatchingTheCsv) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", dlc_options());
  const ImportSummary s = import(p, LabelFormat::kDlc, dlc_csv());
  EXPECT_EQ(s.frames, 116);
  EXPECT_EQ(s.images, 116);
  // Read the CSV independently: row "labeled-data/m4s1/imgNNNN.png,x,y,x,y,x,y,x,y".
  const auto lines = read_lines(dlc_csv());
  ASSERT_EQ(lines.size(), 119u);
  FrameQuery q;
  q.limit = 0;
  const FramePage page = p.list_frames(q);
  ASSERT_EQ(page.total, 116);
  EXPECT_EQ(page.complete, 116);
  for (std::size_t r = 3; r < lines.size(); ++r) {
    std::vector<std::string> cells;
    std::stringstream ss(lines[r]);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    ASSERT_EQ(cells.size(), 9u);
    const std::string name = "m4s1/" + fs::path(cells[0]).filename().string();
    const auto frame = p.find_frame(std::nullopt, 0, name);
    ASSERT_TRUE(frame) << name;
    EXPECT_TRUE(fs::exists(p.resolve(frame->image_path)));
    const auto inst = p.get_frame(frame->id).instances;
    ASSERT_EQ(inst.size(), 1u);
    EXPECT_TRUE(inst[0].box_derived);
    EXPECT_TRUE(inst[0].confirmed);
    const auto& kps = inst[0].instance.keypoints;
    ASSERT_EQ(kps.size(), 4u);
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(kps[k].v, Visibility::kVisible);
      EXPECT_EQ(kps[k].x, std::stod(cells[1 + 2 * k])) << name;
      EXPECT_EQ(kps[k].y, std::stod(cells[2 + 2 * k])) << name;
    }
    // The derived box is the keypoints' tight box grown by the default 10 px margin.
    const Box tight = *inst[0].instance.keypoint_box(0);
    EXPECT_DOUBLE_EQ(inst[0].instance.box.x1, tight.x1 - kDefaultDerivedBoxMarginPx);
    EXPECT_DOUBLE_EQ(inst[0].instance.box.y2, tight.y2 + kDefaultDerivedBoxMarginPx);
  }
}

TEST(ProjectLabels, DlcExportsToYoloAndCocoAndReimportsIdentically) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", dlc_options());
  import(p, LabelFormat::kDlc, dlc_csv());
  export_to(p, LabelFormat::kYolo, tmp / "yolo");
  export_to(p, LabelFormat::kCoco, tmp / "coco");
  Project from_yolo = Project::create(tmp / "py", dlc_options());
  import(from_yolo, LabelFormat::kYolo, tmp / "yolo");
  Project from_coco = Project::create(tmp / "pc", dlc_options());
  import(from_coco, LabelFormat::kCoco, tmp / "coco");
  // COCO stores boxes as x, y, w, h: x2 = x + w is exact to double rounding.
  expect_same_labels(p, from_coco, 1e-9);
  // YOLO keeps 6 decimals of coordinates normalised by the 640x480 image; a box corner
  // is xc - w/2, two rounded values.
  expect_same_labels(p, from_yolo, 640 * 0.75e-6 + 1e-9);
  // Re-exporting gives the same label files.
  export_to(from_yolo, LabelFormat::kYolo, tmp / "yolo2");
  EXPECT_EQ(read_lines(tmp / "yolo" / "labels" / "train" / "m4s1" / "img0042.txt"),
            read_lines(tmp / "yolo2" / "labels" / "train" / "m4s1" / "img0042.txt"));
  const auto line = read_lines(tmp / "yolo" / "labels" / "train" / "m4s1" / "img0042.txt").at(0);
  EXPECT_EQ(std::count(line.begin(), line.end(), ' '), 4 + 3 * 4);
  EXPECT_NE(read_lines(tmp / "yolo" / "data.yaml").size(), 0u);
}

TEST(ProjectLabels, DlcAndAnnotationJsonRoundTripExactly) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", dlc_options());
  import(p, LabelFormat::kDlc, dlc_csv());
  for (LabelFormat f : {LabelFormat::kDlc, LabelFormat::kBehavtrackAnnotation}) {
    const std::string tag = to_string(f);
    export_to(p, f, tmp / ("out-" + tag));
    Project q = Project::create(tmp / ("q-" + tag), dlc_options());
    import(q, f, tmp / ("out-" + tag));
    expect_same_labels(p, q, 0.0);
  }
}

// A DLC labeled-data folder "cage" under tmp/src holding one real frame of the DLC set
// under `image_name`; the test writes its CollectedData CSV.
fs::path dlc_folder_with_image(const TempDir& tmp, const std::string& image_name) {
  const fs::path src = tmp / "src" / "labeled-data" / "cage";
  fs::create_directories(src);
  fs::copy_file(bt::test::dlc_dir() / "labeled-data" / "m4s1" / "img0000.png", src / image_name);
  return src;
}

TEST(ProjectLabels, MultiAnimalDlcKeepsIndividualsAndMissingKeypoints) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", dlc_options(2));
  const fs::path src = dlc_folder_with_image(tmp, "img0000.png");
  std::ofstream(src / "CollectedData_me.csv")
      << "scorer,me,me,me,me,me,me,me,me,me,me,me,me,me,me,me,me\n"
         "individuals,m1,m1,m1,m1,m1,m1,m1,m1,m2,m2,m2,m2,m2,m2,m2,m2\n"
         "bodyparts,snout,snout,leftear,leftear,rightear,rightear,tailbase,tailbase,snout,snout,leftear,leftear,rightear,rightear,tailbase,tailbase\n"
         "coords,x,y,x,y,x,y,x,y,x,y,x,y,x,y,x,y\n"
         "labeled-data/cage/img0000.png,10.5,20.25,12,22,,,30,40,100,200,102,202,104,204,130,240\n";
  import(p, LabelFormat::kDlc, src);
  const auto frame = p.find_frame(std::nullopt, 0, "cage/img0000.png");
  ASSERT_TRUE(frame);
  const auto inst = p.get_frame(frame->id).instances;
  ASSERT_EQ(inst.size(), 2u);
  EXPECT_EQ(inst[0].instance.id, TrackId(1));
  EXPECT_EQ(inst[1].instance.id, TrackId(2));
  EXPECT_EQ(inst[0].instance.keypoints[2].v, Visibility::kAbsent);
  EXPECT_EQ(inst[0].instance.keypoints[0].y, 20.25);
  EXPECT_EQ(p.get_frame_record(frame->id).state, FrameState::kStarted);  // a keypoint is missing
  export_to(p, LabelFormat::kDlc, tmp / "out");
  const auto lines = read_lines(tmp / "out" / "CollectedData_behavtrack.csv");
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[1].substr(0, 18), "individuals,mouse1");
  EXPECT_NE(lines[4].find(",10.5,20.25,12,22,,,30,40,100,200,"), std::string::npos);
}

TEST(ProjectLabels, VideoFormatsRoundTripNpyBorisAndInstancesJson) {
  TempDir tmp;
  make_index_video(tmp / "v.mp4", 40);
  Project p = Project::create(tmp / "p", ProjectOptions{Skeleton::default_mouse(), 2, default_behaviors()});
  const VideoId vid = add_video_file(p, tmp / "v.mp4").first;
  // Labels for frames 3 and 17 through the Instances JSON importer.
  InstancesFile f;
  f.header.video = "v.mp4";
  Instance a;
  a.box = Box{1.5, 2.25, 30.125, 40};
  a.keypoints = {{5, 6, Visibility::kVisible}, {7.75, 8, Visibility::kOccluded}, {}, {20, 30, Visibility::kVisible}};
  a.id = TrackId(1);
  Instance b = a;
  b.id = TrackId(2);
  b.box.x1 = 3;
  f.frames = {{3, {a, b}}, {17, {a}}};
  write_instances_json(tmp / "in.json", f);
  import(p, LabelFormat::kBehavtrack, tmp / "in.json");
  EXPECT_EQ(p.count_frames(), 2);
  // The frame image is the exact decoded frame 17.
  const auto fr = p.find_frame(vid, 17, "");
  ASSERT_TRUE(fr);
  EXPECT_EQ(video::test_fixture::decode_index(cv::imread(p.resolve(fr->image_path).string())), 17);
  for (LabelFormat fmt : {LabelFormat::kBehavtrack, LabelFormat::kNpy}) {
    const std::string tag = to_string(fmt);
    export_to(p, fmt, tmp / ("out-" + tag));
    Project q = Project::create(tmp / ("q-" + tag), ProjectOptions{Skeleton::default_mouse(), 2, default_behaviors()});
    const VideoId qv = add_video_file(q, tmp / "v.mp4").first;
    import(q, fmt, tmp / ("out-" + tag), qv);
    expect_same_labels(p, q, 0.0);
  }
  // BORIS: bouts out and back in, frame for frame.
  p.add_bout({0, vid, TrackId(1), "resting", 0, 9, 0});
  p.add_bout({0, vid, TrackId(1), "running", 10, 12, 0});
  p.add_bout({0, vid, TrackId(2), "self_grooming", 5, 39, 0});
  export_to(p, LabelFormat::kBoris, tmp / "events.tsv", vid);
  Project q = Project::create(tmp / "q-boris", {});
  const VideoId qv = add_video_file(q, tmp / "v.mp4").first;
  const ImportSummary s = import(q, LabelFormat::kBoris, tmp / "events.tsv", qv);
  EXPECT_EQ(s.bouts, 3);
  const auto la = p.frame_labels(vid), lb = q.frame_labels(qv);
  ASSERT_EQ(la.size(), lb.size());
  for (std::size_t i = 0; i < la.size(); ++i) {
    EXPECT_EQ(la[i].frame, lb[i].frame);
    EXPECT_EQ(la[i].track, lb[i].track);
    EXPECT_EQ(la[i].behavior, lb[i].behavior);
  }
}

TEST(ProjectLabels, BorisEventsBecomePerFrameLabelsBySubjectAndFps) {
  TempDir tmp;
  make_index_video(tmp / "v.mp4", 40);
  Project p = Project::create(tmp / "p", {});
  const VideoId vid = add_video_file(p, tmp / "v.mp4").first;
  std::ofstream(tmp / "b.csv") << "Observation id,obs1\n\n"
                                  "Time,Media file path,Subject,Behavior,Status\n"
                                  "0.1,v.mp4,Mouse 2,Self grooming,START\n"
                                  "0.5,v.mp4,Mouse 2,Self grooming,STOP\n"
                                  "1.0,v.mp4,Mouse 1,rearing,POINT\n";
  ImportOptions o;
  o.format = LabelFormat::kBoris;
  o.path = tmp / "b.csv";
  o.fps = 10;  // 0.1 s -> frame 1, 0.5 s -> frames up to 4
  import_labels(p, o, {});
  const auto bouts = p.list_bouts(vid);
  ASSERT_EQ(bouts.size(), 2u);
  EXPECT_EQ(bouts[0].track, TrackId(1));
  EXPECT_EQ(bouts[0].start_frame, 10);
  EXPECT_EQ(bouts[0].end_frame, 10);
  EXPECT_EQ(bouts[1].behavior, "self_grooming");
  EXPECT_EQ(bouts[1].start_frame, 1);
  EXPECT_EQ(bouts[1].end_frame, 4);
  std::ofstream(tmp / "bad.csv") << "Time,Subject,Behavior,Status\n0.1,m1,resting,START\n";
  o.path = tmp / "bad.csv";
  EXPECT_NE(error_of([&] { import_labels(p, o, {}); }).find("line 2: START of 'resting' has no STOP"), std::string::npos);
  EXPECT_EQ(p.list_bouts(vid).size(), 2u);
}

// Every way a BORIS events file can be wrong: one message naming the line, no bout written.
TEST(ProjectLabels, BorisMistakesNameTheLineAndWriteNothing) {
  TempDir tmp;
  make_index_video(tmp / "v.mp4", 40);
  Project p = Project::create(tmp / "p", {});
  const VideoId vid = add_video_file(p, tmp / "v.mp4").first;
  const std::string head = "Time,Subject,Behavior,Status\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Time,Who,What\n0.1,m1,resting\n", "no header row with Time, Subject, Behavior and Status columns"},
      {head + "0.1,m1,resting,STOP\n", "line 2: STOP of 'resting' for 'm1' without a START"},
      {head + "0.1,m1,resting,START\n0.2,m1,resting,START\n",
       "line 3: START of 'resting' for 'm1' while one is open since line 2"},
      {head + "0.1,m1,resting,BEGIN\n", "line 2 Status: expected START, STOP or POINT, got 'BEGIN'"},
      {head + "0.1,m1,dancing,POINT\n", "line 2 Behavior: 'dancing' is not one of the project's behaviours"},
      {head + "0.1,m1,resting\n", "line 2: expected 4 columns (as the header), got 3"},
      {head + "soon,m1,resting,POINT\n", "line 2 Time: expected a number, got 'soon'"},
      {head + "0.1,m1,resting,START\n0.3,m1,rearing,POINT\n0.5,m1,resting,STOP\n",
       "line 3: 'rearing' overlaps 'resting' (line 2) for track 1; behavtrack keeps one behaviour per animal and frame"},
  };
  ImportOptions o;
  o.format = LabelFormat::kBoris;
  o.path = tmp / "events.csv";
  o.fps = 10;
  for (const auto& [text, message] : cases) {
    std::ofstream(o.path) << text;
    EXPECT_NE(error_of([&] { import_labels(p, o, {}); }).find(message), std::string::npos) << message;
  }
  EXPECT_TRUE(p.list_bouts(vid).empty());
}

// ---- bad inputs: one clear message, nothing written ----

struct BadInput {
  Project project;
  fs::path dir;
};

void expect_nothing_written(const Project& p) {
  EXPECT_EQ(p.count_frames(), 0);
  EXPECT_EQ(files_under(p.dir() / "media" / "frames"), 0u);
}

fs::path dlc_copy(const TempDir& tmp, const std::function<std::string(std::string)>& edit) {
  const fs::path dir = tmp / "dlc" / "labeled-data" / "m4s1";
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(dlc_csv().parent_path()))
    if (e.path().extension() == ".png") fs::copy_file(e.path(), dir / e.path().filename());
  std::stringstream ss;
  ss << std::ifstream(dlc_csv()).rdbuf();
  std::ofstream(dir / "CollectedData_Pranav.csv") << edit(ss.str());
  return dir / "CollectedData_Pranav.csv";
}

std::string replace_line(std::string text, int line, const std::string& with) {
  std::stringstream in(text);
  std::string out, l;
  for (int i = 1; std::getline(in, l); ++i) out += (i == line ? with : l) + "\n";
  return out;
}

TEST(ProjectLabels, DlcWrongColumnCountNamesFileAndLine) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", dlc_options());
  const fs::path csv = dlc_copy(tmp, [](std::string t) {
    return replace_line(t, 60, "labeled-data/m4s1/img0056.png,1,2,3,4,5,6,7");
  });
  const std::string msg = error_of([&] { import(p, LabelFormat::kDlc, csv); });
  EXPECT_NE(msg.find("CollectedData_Pranav.csv' line 60: expected 9 columns, got 8"), std::string::npos) << msg;
  expect_nothing_written(p);
}

TEST(ProjectLabels, DlcNanCoordinateNamesLineAndBodypart) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", dlc_options());
  const fs::path csv = dlc_copy(tmp, [](std::string t) {
    return replace_line(t, 100, "labeled-data/m4s1/img0096.png,1,2,3,4,NaN,6,7,8");
  });
  const std::string msg = error_of([&] { import(p, LabelFormat::kDlc, csv); });
  EXPECT_NE(msg.find("line 100 bodypart 'rightear' x: expected a finite number, got 'NaN'"), std::string::npos) << msg;
  expect_nothing_written(p);
}

TEST(ProjectLabels, SkeletonMismatchIsRefusedForDlcYoloAndCoco) {
  TempDir tmp;
  Project dlc = Project::create(tmp / "p", dlc_options());
  import(dlc, LabelFormat::kDlc, dlc_csv());
  export_to(dlc, LabelFormat::kYolo, tmp / "yolo");
  export_to(dlc, LabelFormat::kCoco, tmp / "coco");
  Project p = Project::create(tmp / "mouse", {});  // nose, earL, earR, tailB
  const std::string mismatch =
      "skeleton mismatch: keypoint 'snout' is not one of the project's keypoints (nose, earL, earR, tailB); "
      "rename it with --keypoint-map snout=NAME";
  EXPECT_NE(error_of([&] { import(p, LabelFormat::kDlc, dlc_csv()); }).find(mismatch), std::string::npos);
  EXPECT_NE(error_of([&] { import(p, LabelFormat::kCoco, tmp / "coco"); }).find(mismatch), std::string::npos);
  ProjectOptions five;
  five.skeleton = Skeleton::from_names("a,b,c,d,e", "");
  Project q = Project::create(tmp / "five", five);
  EXPECT_NE(error_of([&] { import(q, LabelFormat::kYolo, tmp / "yolo"); })
                .find("skeleton mismatch: kpt_shape has 4 keypoints, the project's skeleton 5"),
            std::string::npos);
  expect_nothing_written(p);
  expect_nothing_written(q);
}

ImportSummary import_mapped(Project& p, LabelFormat f, const fs::path& path, const std::string& map) {
  ImportOptions o;
  o.format = f;
  o.path = path;
  o.keypoint_map = parse_keypoint_map(map);
  o.validate();
  return import_labels(p, o, {});
}

// DeepLabCut's data names its keypoints snout, leftear, rightear, tailbase; a project with
// behavtrack's default names takes them through the map, and COCO files the same way.
TEST(ProjectLabels, KeypointMapImportsDlcAndCocoUnderTheProjectsNames) {
  TempDir tmp;
  Project dlc = Project::create(tmp / "dlc", dlc_options());
  import(dlc, LabelFormat::kDlc, dlc_csv());
  export_to(dlc, LabelFormat::kCoco, tmp / "coco");
  const std::string rename = "snout=nose,leftear=earL,rightear=earR,tailbase=tailB";
  Project from_dlc = Project::create(tmp / "from-dlc", {});  // nose, earL, earR, tailB
  EXPECT_EQ(import_mapped(from_dlc, LabelFormat::kDlc, dlc_csv(), rename).frames, 116);
  expect_same_labels(dlc, from_dlc, 0);
  Project from_coco = Project::create(tmp / "from-coco", {});
  EXPECT_EQ(import_mapped(from_coco, LabelFormat::kCoco, tmp / "coco", rename).frames, 116);
  expect_same_labels(dlc, from_coco, 1e-6);

  // Left out, and the project's order differing from the file's: ears swapped, no tail.
  ProjectOptions three;
  three.skeleton = Skeleton::from_names("rightear,leftear,snout", "");
  Project partial = Project::create(tmp / "partial", three);
  import_mapped(partial, LabelFormat::kDlc, dlc_csv(), "tailbase=");
  Project partial_coco = Project::create(tmp / "partial-coco", three);
  import_mapped(partial_coco, LabelFormat::kCoco, tmp / "coco", "tailbase=");
  const auto full = all_labels(dlc);
  for (const Project* q : {&partial, &partial_coco})
    for (const auto& [name, insts] : all_labels(*q)) {
      ASSERT_EQ(insts.size(), 1u) << name;
      const auto& got = insts[0].instance.keypoints;
      const auto& want = full.at(name)[0].instance.keypoints;  // snout, leftear, rightear, tailbase
      ASSERT_EQ(got.size(), 3u);
      EXPECT_NEAR(got[0].x, want[2].x, 1e-6) << name;
      EXPECT_NEAR(got[1].y, want[1].y, 1e-6) << name;
      EXPECT_NEAR(got[2].x, want[0].x, 1e-6) << name;
    }
}

// BehavTrack's annotation.json names keypoints per instance, Instances JSON in its header:
// both are matched by name, through the map where the file's names are not the project's.
TEST(ProjectLabels, KeypointMapImportsBothJsonFormatsByName) {
  TempDir tmp;
  Project dlc = Project::create(tmp / "dlc", dlc_options());
  import(dlc, LabelFormat::kDlc, dlc_csv());
  export_to(dlc, LabelFormat::kBehavtrackAnnotation, tmp / "annotation");
  Project unmapped = Project::create(tmp / "unmapped", {});  // nose, earL, earR, tailB
  EXPECT_NE(error_of([&] { import(unmapped, LabelFormat::kBehavtrackAnnotation, tmp / "annotation"); })
                .find("skeleton mismatch: keypoint 'leftear' is not one of the project's keypoints (nose, earL, earR, "
                      "tailB); rename it with --keypoint-map leftear=NAME"),
            std::string::npos);
  expect_nothing_written(unmapped);
  Project mapped = Project::create(tmp / "mapped", {});
  EXPECT_EQ(import_mapped(mapped, LabelFormat::kBehavtrackAnnotation, tmp / "annotation",
                          "snout=nose,leftear=earL,rightear=earR,tailbase=tailB")
                .frames,
            116);
  expect_same_labels(dlc, mapped, 0);

  // Instances JSON whose header lists the keypoints in another order, under other names.
  make_index_video(tmp / "v.mp4", 20);
  InstancesFile f;
  f.header.video = "v.mp4";
  f.header.skeleton = Skeleton::from_names("tailbase,rightear,snout", "");
  Instance a;
  a.box = Box{1, 2, 30, 40};
  a.keypoints = {{20, 30, Visibility::kVisible}, {7, 8, Visibility::kOccluded}, {5, 6, Visibility::kVisible}};
  a.keypoint_scores = {0.25f, 0.5f, 0.75f};
  a.score = 0.9f;
  f.frames = {{4, {a}}};
  write_instances_json(tmp / "renamed.json", f);
  Project q = Project::create(tmp / "q", {});
  add_video_file(q, tmp / "v.mp4");
  EXPECT_NE(error_of([&] { import(q, LabelFormat::kBehavtrack, tmp / "renamed.json"); })
                .find("keypoint 'tailbase' is not one of the project's keypoints"),
            std::string::npos);
  expect_nothing_written(q);
  import_mapped(q, LabelFormat::kBehavtrack, tmp / "renamed.json", "tailbase=tailB,rightear=earR,snout=nose");
  const auto got = all_labels(q);
  ASSERT_EQ(got.size(), 1u);
  const std::vector<Keypoint>& k = got.begin()->second.at(0).instance.keypoints;  // nose, earL, earR, tailB
  ASSERT_EQ(k.size(), 4u);
  EXPECT_EQ(k[0].x, 5);
  EXPECT_FALSE(k[1].present());
  EXPECT_EQ(k[2].v, Visibility::kOccluded);
  EXPECT_EQ(k[3].y, 30);
  const std::vector<float>& scores = got.begin()->second.at(0).instance.keypoint_scores;
  EXPECT_EQ(scores, (std::vector<float>{0.75f, 0, 0.5f, 0.25f}));
}

TEST(ProjectLabels, KeypointMapMistakesAreRefusedBeforeAnyWork) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", {});  // nose, earL, earR, tailB
  auto refused = [&](LabelFormat f, const std::string& map) {
    return error_of([&] { import_mapped(p, f, dlc_csv(), map); });
  };
  const std::string ok = "leftear=earL,rightear=earR,tailbase=tailB";
  EXPECT_NE(refused(LabelFormat::kDlc, "snot=nose," + ok).find("--keypoint-map names 'snot', which is not a keypoint of the file"),
            std::string::npos);
  EXPECT_NE(refused(LabelFormat::kDlc, "snout=muzzle," + ok)
                .find("--keypoint-map snout=muzzle: 'muzzle' is not one of the project's keypoints (nose, earL, earR, tailB)"),
            std::string::npos);
  EXPECT_NE(refused(LabelFormat::kDlc, "snout=nose,leftear=earL,rightear=earL,tailbase=tailB")
                .find("keypoints 'leftear' and 'rightear' would both be the project's 'earL'"),
            std::string::npos);
  EXPECT_NE(refused(LabelFormat::kDlc, "snout").find("--keypoint-map entry 'snout': expected FILE_NAME=PROJECT_NAME"),
            std::string::npos);
  EXPECT_NE(refused(LabelFormat::kDlc, "=nose").find("the file's keypoint name is empty"), std::string::npos);
  EXPECT_NE(refused(LabelFormat::kDlc, "snout=nose,snout=earL").find("'snout' is mapped twice"), std::string::npos);
  EXPECT_NE(refused(LabelFormat::kYolo, "snout=nose").find("--keypoint-map: only dlc, coco, behavtrack and behavtrack-annotation files name their keypoints"),
            std::string::npos);
  expect_nothing_written(p);
}

TEST(ProjectLabels, TruncatedJsonIsRefusedWithTheFileName) {
  TempDir tmp;
  Project dlc = Project::create(tmp / "p", dlc_options());
  import(dlc, LabelFormat::kDlc, dlc_csv());
  export_to(dlc, LabelFormat::kCoco, tmp / "coco");
  const std::string text = read_file(tmp / "coco" / "annotations.json");
  write_file_atomically(tmp / "coco" / "annotations.json", text.substr(0, text.size() / 2));
  Project p = Project::create(tmp / "q", dlc_options());
  const std::string msg = error_of([&] { import(p, LabelFormat::kCoco, tmp / "coco"); });
  EXPECT_NE(msg.find("annotations.json': invalid JSON at byte"), std::string::npos) << msg;
  EXPECT_NE(msg.find("is the file truncated?"), std::string::npos) << msg;
  expect_nothing_written(p);
}

TEST(ProjectLabels, YoloWrongValueCountNamesFileLineAndExpectation) {
  TempDir tmp;
  Project dlc = Project::create(tmp / "p", dlc_options());
  import(dlc, LabelFormat::kDlc, dlc_csv());
  export_to(dlc, LabelFormat::kYolo, tmp / "yolo");
  std::ofstream(tmp / "yolo" / "labels" / "train" / "m4s1" / "img0007.txt") << "0 0.5 0.5 0.1 0.1 0.5 0.5 2\n";
  Project p = Project::create(tmp / "q", dlc_options());
  const std::string msg = error_of([&] { import(p, LabelFormat::kYolo, tmp / "yolo"); });
  EXPECT_NE(msg.find("img0007.txt' line 1: expected 17 values (class, box, 4 keypoints x 3), got 8"), std::string::npos)
      << msg;
  expect_nothing_written(p);
}

TEST(ProjectLabels, NpyShapesAreCheckedAndTheExpectationNamed) {
  TempDir tmp;
  make_index_video(tmp / "v.mp4", 10);
  Project p = Project::create(tmp / "p", {});
  add_video_file(p, tmp / "v.mp4");
  fs::create_directories(tmp / "npy");
  npy::Array kp{{3, 2, 4, 3}, std::vector<double>(3 * 2 * 4 * 3, 1.0), ""};
  npy::write(tmp / "npy" / "keypoints.npy", kp, false);
  npy::Array boxes{{3, 2, 5}, std::vector<double>(30, 1.0), ""};
  npy::write(tmp / "npy" / "boxes.npy", boxes, false);
  EXPECT_NE(error_of([&] { import(p, LabelFormat::kNpy, tmp / "npy"); })
                .find("boxes.npy': shape (3, 2, 5), expected (3, 2, 4) (N frames x M animals x x1/y1/x2/y2"),
            std::string::npos);
  npy::Array wrong_k{{3, 2, 5, 3}, std::vector<double>(90, 1.0), ""};
  npy::write(tmp / "npy" / "keypoints.npy", wrong_k, false);
  EXPECT_NE(error_of([&] { import(p, LabelFormat::kNpy, tmp / "npy"); })
                .find("keypoints.npy': shape (3, 2, 5, 3), expected (N, M, 4, 3)"),
            std::string::npos);
  expect_nothing_written(p);
}

// A .npy file of float64 zeros whose header gives `shape` ("(2, 3)"), with 576 data bytes.
std::string npy_with_shape(const std::string& shape) {
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  header += std::string(64 - (10 + header.size() + 1) % 64, ' ') + "\n";
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  return bytes + header + std::string(576, '\0');
}

// A crafted header's shape (2^62 x 2^62 x 4 x 3) overflowed the element count and the
// reader then read far past the data.
TEST(ProjectLabels, NpyShapeLargerThanTheDataIsRefused) {
  TempDir tmp;
  std::ofstream(tmp / "k.npy", std::ios::binary) << npy_with_shape("(4611686018427387904, 4611686018427387904, 4, 3)");
  EXPECT_NE(error_of([&] { npy::read(tmp / "k.npy"); }).find("shape dimension 4611686018427387904 is larger than the file's data"),
            std::string::npos);
  // Small dimensions whose product needs more data than there is.
  std::ofstream(tmp / "k.npy", std::ios::binary) << npy_with_shape("(100, 100, 4, 3)");
  EXPECT_NE(error_of([&] { npy::read(tmp / "k.npy"); }).find("is the file truncated?"), std::string::npos);
}

// Imported images keep their names under media/frames/imported/: a name that climbs out
// with ".." or is absolute would write outside the project, and a non-image is refused.
TEST(ProjectLabels, ImageNamesLeavingTheProjectAndNonImagesAreRefused) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", dlc_options(1));
  const fs::path src = dlc_folder_with_image(tmp, "evil.png");
  const std::string head = "scorer,me,me,me,me,me,me,me,me\n"
                           "bodyparts,snout,snout,leftear,leftear,rightear,rightear,tailbase,tailbase\n"
                           "coords,x,y,x,y,x,y,x,y\n";
  std::ofstream(src / "CollectedData_me.csv") << head << "../../../../victim/evil.png,21,265,33,265,19,250,87,152\n";
  EXPECT_NE(error_of([&] { import(p, LabelFormat::kDlc, src); }).find("the name leaves the project's image folder"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "victim"));
  std::ofstream(src / "notes.png") << "not an image";
  std::ofstream(src / "CollectedData_me.csv") << head << "labeled-data/cage/notes.png,21,265,33,265,19,250,87,152\n";
  EXPECT_NE(error_of([&] { import(p, LabelFormat::kDlc, src); }).find("is not an image OpenCV can read"),
            std::string::npos);
  expect_nothing_written(p);
}

TEST(ProjectLabels, ExportRefusesAnExistingPathAndLeavesNoPartialOutput) {
  TempDir tmp;
  Project p = Project::create(tmp / "p", dlc_options());
  import(p, LabelFormat::kDlc, dlc_csv());
  fs::create_directories(tmp / "taken");
  EXPECT_NE(error_of([&] { export_to(p, LabelFormat::kYolo, tmp / "taken"); }).find("already exists"), std::string::npos);
  // behavtrack JSON needs video frames: refused, and nothing appears.
  EXPECT_NE(error_of([&] { export_to(p, LabelFormat::kBehavtrack, tmp / "x.json"); }).find("imported image with no video"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "x.json"));
  std::size_t leftovers = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) leftovers += e.path().filename().string().find(".tmp-") != std::string::npos;
  EXPECT_EQ(leftovers, 0u);
}

TEST(ProjectLabels, ImageSizesComeFromPngAndJpegHeaders) {
  TempDir tmp;
  const cv::Mat img(21, 37, CV_8UC3, cv::Scalar(10, 20, 30));
  for (const char* ext : {".png", ".jpg", ".bmp"}) {
    const fs::path f = tmp / (std::string("i") + ext);
    ASSERT_TRUE(cv::imwrite(f.string(), img));
    EXPECT_EQ(labels::image_size(f), cv::Size(37, 21)) << ext;  // .bmp: decoded instead
  }
  std::ofstream(tmp / "bad.png") << "not an image";
  EXPECT_NE(error_of([&] { labels::image_size(tmp / "bad.png"); }).find("bad.png': cannot read"), std::string::npos);
}

TEST(ProjectLabels, CliImportAndExportPrintSummariesAndFailCleanly) {
  TempDir tmp;
  const std::string dir = (tmp / "p").string();
  // A skeleton of one's own must name its mirror pairs (or none): the default's earL:earR
  // is not silently dropped or applied.
  auto r = bt::test::run_cli({"project", "init", dir, "--keypoints", "snout,leftear,rightear,tailbase"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--keypoints snout,leftear,rightear,tailbase needs --flip"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir));
  r = bt::test::run_cli({"project", "init", (tmp / "no-flip").string(), "--keypoints", "head,tail", "--flip", "none"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = bt::test::run_cli({"project", "init", dir, "--keypoints", "snout,leftear,rightear,tailbase", "--flip",
                              "leftear:rightear", "--animals", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = bt::test::run_cli({"labels", "import", dir, "--format", "dlc", dlc_csv().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("116 frames, 116 instances, 116 images copied"), std::string::npos) << r.out;
  r = bt::test::run_cli({"labels", "export", dir, "--format", "yolo", (tmp / "y").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = bt::test::run_cli({"labels", "import", dir, "--format", "sleap", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("format 'sleap': expected behavtrack, behavtrack-annotation, yolo, coco, dlc, npy or boris"),
            std::string::npos)
      << r.err;
  r = bt::test::run_cli({"labels", "import", dir, "--format", "dlc", "--box-margin-px", "10px", dlc_csv().string()});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace bt::project

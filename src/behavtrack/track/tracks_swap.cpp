#include "behavtrack/track/tracks_swap.h"

#include <nlohmann/json.hpp>

#include "behavtrack/core/atomic_file.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/instances_json.h"
#include "behavtrack/track/detections_io.h"

namespace bt::track {
namespace fs = std::filesystem;

void SwapOptions::validate() const {
  if (ids.size() != 2) throw_invalid("--ids: give exactly two ids, e.g. --ids 2,4");
  if (ids[0] == ids[1]) throw_invalid("--ids: " + std::to_string(ids[0]) + " twice; give two different ids");
  for (int id : ids)
    if (id < 0) throw_invalid("--ids: " + std::to_string(id) + ": ids are >= 0");
  if (from < 0) throw_invalid("--from " + std::to_string(from) + ": must be >= 0");
  if (to != -1 && to < from)
    throw_invalid("--to " + std::to_string(to) + ": before --from " + std::to_string(from));
}

SwapSummary swap_ids(const fs::path& run_dir, const SwapOptions& o) {
  o.validate();
  const fs::path json_path = run_dir / "tracks.json", csv_path = run_dir / "tracks.csv";
  if (!fs::exists(json_path))
    throw_not_found("run " + quoted(run_dir.string()) + ": no tracks.json; is this a `behavtrack track` output folder?");
  InstancesFile tracks = read_instances_json(json_path);
  const TrackId a(o.ids[0]), b(o.ids[1]);
  bool a_seen = false, b_seen = false;
  SwapSummary s;
  for (FrameInstances& f : tracks.frames) {
    bool changed = false;
    for (Instance& inst : f.instances) {
      if (!inst.id) continue;
      a_seen |= *inst.id == a;
      b_seen |= *inst.id == b;
      if (f.frame < o.from || (o.to >= 0 && f.frame > o.to)) continue;
      if (*inst.id == a) inst.id = b, changed = true, ++s.instances_changed;
      else if (*inst.id == b) inst.id = a, changed = true, ++s.instances_changed;
    }
    if (changed) {
      ++s.frames_changed;
      std::sort(f.instances.begin(), f.instances.end(),
                [](const Instance& x, const Instance& y) { return x.id.value_or(TrackId(0)) < y.id.value_or(TrackId(0)); });
    }
  }
  for (const auto& [seen, id] : {std::pair{a_seen, a}, std::pair{b_seen, b}})
    if (!seen) throw_not_found("run " + quoted(run_dir.string()) + ": id " + std::to_string(id.value) + " does not occur in tracks.json");

  if (s.instances_changed == 0)
    throw_invalid("run " + quoted(run_dir.string()) + ": ids " + std::to_string(a.value) + " and " +
                  std::to_string(b.value) + " do not occur in frames " + std::to_string(o.from) + ".." +
                  (o.to >= 0 ? std::to_string(o.to) : std::string("the end")) + "; nothing to swap");
  // Both tables are written in full beside their targets first (a full disk shows there),
  // then renamed one after the other, so the two never disagree.
  AtomicFile json_out(json_path);
  json_out.stream() << to_instances_json(tracks);
  TracksCsvWriter csv_out(csv_path, tracks.header);
  for (const FrameInstances& f : tracks.frames) csv_out.add_frame(f);

  const fs::path run_json = run_dir / "run.json";
  std::string run_text;
  if (fs::exists(run_json)) {
    nlohmann::ordered_json run = nlohmann::ordered_json::parse(read_file(run_json), nullptr, false);
    if (run.is_discarded() || !run.is_object())
      throw_invalid("run " + quoted(run_json.string()) + ": not a JSON object");
    run["corrections"].push_back({{"swap", o.ids}, {"from", o.from}, {"to", o.to}});
    run_text = run.dump(2) + "\n";
  }
  json_out.finish();
  csv_out.finish();
  for (const fs::path& target : {json_path, csv_path})
    if (fs::is_directory(target)) throw_io("output " + quoted(target.string()) + ": is a folder");
  json_out.commit();
  csv_out.commit();
  if (!run_text.empty()) write_file_atomically(run_json, run_text);
  return s;
}

}  // namespace bt::track

// Test fixtures of the pose tests: an Ultralytics-style TorchScript pose model made at test
// time by /usr/bin/python3 with Debian's python3-torch (no binaries in the repository).
#pragma once

#include <filesystem>
#include <string>

#include "behavtrack/core/atomic_file.h"
#include "test_support.h"

namespace bt::pose {

// A scripted module with Ultralytics' pose export layout: (1, 4 + 1 + 3 * 4, 3) in input
// pixels, scores after the sigmoid, and Ultralytics' config.txt metadata (imgsz 320).
inline constexpr const char* kFixtureScript = R"PY(
import json, sys, torch
class Pose(torch.nn.Module):
    def forward(self, x):
        assert x.shape[1] == 3 and x.shape[2] == 320 and x.shape[3] == 320
        a = torch.zeros(1, 17, 3)
        # anchor 0: a mouse at input (160, 120), 40 x 20; keypoints around it
        a[0, 0:5, 0] = torch.tensor([160., 120., 40., 20., 0.9])
        a[0, 5:17, 0] = torch.tensor([170., 120., 0.95, 165., 115., 0.8,
                                      165., 125., 0.3, 145., 120., 0.99])
        # anchor 1: the same mouse, lower score (NMS removes it)
        a[0, 0:5, 1] = torch.tensor([161., 121., 40., 20., 0.7])
        # anchor 2: under the score threshold
        a[0, 0:5, 2] = torch.tensor([60., 60., 10., 10., 0.1])
        return a + 0.0 * x.mean()
m = torch.jit.script(Pose())
cfg = {"imgsz": [320, 320], "kpt_shape": [4, 3], "names": {"0": "mouse"}}
torch.jit.save(m, sys.argv[1], _extra_files={"config.txt": json.dumps(cfg)})
)PY";

// Writes the fixture model to `out`; false (with the reason printed) when python fails.
// `score`: the score of the mouse at anchor 0 (our own models score a found mouse 0.4-0.7).
inline bool make_torchscript_fixture(const std::filesystem::path& scratch,
                                     const std::filesystem::path& out, double score = 0.9) {
  std::string script = kFixtureScript;
  const std::string first = "40., 20., 0.9]";
  script.replace(script.find(first), first.size(), "40., 20., " + std::to_string(score) + "]");
  write_file_atomically(scratch / "make_fixture.py", script);
  const auto made =
      test::run_program("/usr/bin/python3", {(scratch / "make_fixture.py").string(), out.string()});
  if (made.exit_code != 0) ADD_FAILURE() << "python3-torch fixture: " << made.err;
  return made.exit_code == 0;
}

}  // namespace bt::pose

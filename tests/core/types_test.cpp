#include <gtest/gtest.h>

#include <cmath>

#include "behavtrack/core/device.h"
#include "behavtrack/core/error.h"
#include "behavtrack/core/types.h"

namespace bt {
namespace {

TEST(Box, ConversionsRoundTrip) {
  const Box b = Box::from_cxcywh(100, 80, 40, 20);
  EXPECT_EQ(b, (Box{80, 70, 120, 90}));
  EXPECT_EQ(b.to_cxcywh(), (std::array<double, 4>{100, 80, 40, 20}));
  EXPECT_EQ(Box::from_xywh(80, 70, 40, 20), b);
  EXPECT_EQ(b.to_xywh(), (std::array<double, 4>{80, 70, 40, 20}));
  EXPECT_DOUBLE_EQ(b.area(), 800);
}

TEST(Box, IouOnHandCases) {
  const Box a{0, 0, 10, 10}, b{5, 0, 15, 10};
  EXPECT_DOUBLE_EQ(iou(a, a), 1.0);
  EXPECT_DOUBLE_EQ(iou(a, b), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(iou(a, Box{20, 20, 30, 30}), 0.0);
  EXPECT_DOUBLE_EQ(iou(a, Box{10, 0, 20, 10}), 0.0);  // touching edges
}

TEST(Box, NanBoxIsInvalid) {
  const Box nan_box{0, 0, std::nan(""), 10};
  EXPECT_FALSE(nan_box.valid());
  EXPECT_DOUBLE_EQ(nan_box.area(), 0.0);
}

TEST(Box, ClippedAndEnlarged) {
  EXPECT_EQ((Box{-5, -5, 700, 500}).clipped(640, 480), (Box{0, 0, 640, 480}));
  EXPECT_EQ((Box{10, 10, 20, 30}).enlarged(0.5), (Box{7.5, 5, 22.5, 35}));
}

TEST(Skeleton, DefaultMouse) {
  const Skeleton s = Skeleton::default_mouse();
  EXPECT_EQ(s.keypoints, (std::vector<std::string>{"nose", "earL", "earR", "tailB"}));
  EXPECT_EQ(s.flip, (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(s.index_of("tailB"), 3);
  EXPECT_EQ(s.index_of("paw"), -1);
  EXPECT_NO_THROW(s.validate());
}

TEST(Skeleton, FromNamesBuildsFlipMap) {
  const Skeleton s = Skeleton::from_names("nose,earL,earR,tailB,pawL,pawR", "earL:earR,pawL:pawR");
  EXPECT_EQ(s.flip, (std::vector<int>{0, 2, 1, 3, 5, 4}));
}

TEST(Skeleton, BadFlipPairNamesTheKeypoint) {
  try {
    Skeleton::from_names("nose,earL,earR", "earL:pawR");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_STREQ(e.what(),
                 "flip pair 'earL:pawR': 'pawR' is not one of the keypoints 'nose,earL,earR'");
  }
}

TEST(Skeleton, DuplicateNameRejected) {
  EXPECT_THROW(Skeleton::from_names("nose,nose", ""), Error);
}

TEST(Skeleton, FlipThatIsNotAnInvolutionRejected) {
  Skeleton s = Skeleton::default_mouse();
  s.flip = {0, 2, 3, 1};
  EXPECT_THROW(s.validate(), Error);
}

TEST(Instance, KeypointBoxIgnoresAbsent) {
  Instance inst;
  inst.keypoints = {{10, 20, Visibility::kVisible}, {30, 5, Visibility::kOccluded},
                    {999, 999, Visibility::kAbsent}};
  const auto box = inst.keypoint_box(2);
  ASSERT_TRUE(box);
  EXPECT_EQ(*box, (Box{8, 3, 32, 22}));
  EXPECT_FALSE(Instance{}.keypoint_box(2));
}

TEST(Visibility, OutOfRangeRejected) {
  EXPECT_EQ(visibility_from_int(2), Visibility::kVisible);
  EXPECT_THROW(visibility_from_int(3), Error);
}

TEST(Device, Parses) {
  EXPECT_EQ(Device::parse("cpu").str(), "cpu");
  EXPECT_EQ(Device::parse("cuda").str(), "cuda:0");
  EXPECT_EQ(Device::parse("cuda:3").index, 3);
  EXPECT_THROW(Device::parse("gpu"), Error);
  EXPECT_THROW(Device::parse("cuda:"), Error);
  EXPECT_THROW(Device::parse("cuda:x"), Error);
}

TEST(ErrorKind, ExitCodes) {
  EXPECT_EQ(exit_code(ErrorKind::kInvalidInput), 2);
  EXPECT_EQ(exit_code(ErrorKind::kNotFound), 3);
  EXPECT_EQ(exit_code(ErrorKind::kIo), 3);
  EXPECT_EQ(exit_code(ErrorKind::kInternal), 1);
}

}  // namespace
}  // namespace bt

// The hand-over queue between VideoReader's decode-ahead thread and its caller.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "behavtrack/video/frame_queue.h"

namespace bt::video::detail {
namespace {

QueuedFrame item(FrameIndex index) {
  QueuedFrame q;
  q.index = index;
  q.picture = make_frame();
  return q;
}

TEST(FrameQueue, AProducerAheadOfTheConsumerDeliversEveryItemInOrder) {
  FrameQueue queue(2);
  std::thread producer([&] {
    for (FrameIndex k = 0; k < 50; ++k) ASSERT_TRUE(queue.push(item(k)));
  });
  std::vector<FrameIndex> got;
  for (int i = 0; i < 50; ++i) got.push_back(queue.pop().index);
  producer.join();
  for (FrameIndex k = 0; k < 50; ++k) EXPECT_EQ(got[k], k);
}

// A producer waiting for room on a full queue must wake when the consumer cancels, or the
// reader's destructor would never return (this test would hang).
TEST(FrameQueue, CancelReleasesAProducerWaitingOnAFullQueue) {
  FrameQueue queue(1);
  ASSERT_TRUE(queue.push(item(0)));
  bool second_accepted = true;
  std::thread producer([&] { second_accepted = queue.push(item(1)); });  // waits: the queue is full
  // Gives the producer time to start waiting (the usual case); cancelling first must give
  // the same result, so nothing below depends on the timing.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  queue.cancel();
  producer.join();
  EXPECT_FALSE(second_accepted);
  EXPECT_FALSE(queue.push(item(2))) << "a cancelled queue refuses items until reset";
}

TEST(FrameQueue, ResetDropsQueuedItemsAndAcceptsPushesAgain) {
  FrameQueue queue(3);
  ASSERT_TRUE(queue.push(item(0)));
  ASSERT_TRUE(queue.push(item(1)));
  queue.cancel();
  queue.reset();
  ASSERT_TRUE(queue.push(item(7)));
  EXPECT_EQ(queue.pop().index, 7);
}

TEST(FrameQueue, CarriesAnErrorInPlaceOfAPicture) {
  FrameQueue queue(2);
  QueuedFrame failed;
  failed.index = 4;
  failed.error = std::make_exception_ptr(std::runtime_error("broken"));
  ASSERT_TRUE(queue.push(std::move(failed)));
  const QueuedFrame got = queue.pop();
  EXPECT_EQ(got.index, 4);
  EXPECT_EQ(got.picture, nullptr);
  EXPECT_THROW(std::rethrow_exception(got.error), std::runtime_error);
}

}  // namespace
}  // namespace bt::video::detail

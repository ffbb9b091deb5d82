// Private: the bounded hand-over between VideoReader's decode-ahead thread and the thread
// that calls read(). The decode thread pushes decoded pictures (libav references, no pixel
// copies) in presentation order, or the error that stopped it; the reader pops them and
// converts them on its own thread, so conversion overlaps decoding.
// Memory stays bounded: push() waits while `capacity` pictures are queued.
// Thread safety: one producer and one consumer at a time; cancel() from either side.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>

#include "behavtrack/core/types.h"
#include "behavtrack/video/libav_util.h"

namespace bt::video::detail {

struct QueuedFrame {
  FrameIndex index = -1;
  FramePtr picture;          // null when `error` is set
  std::exception_ptr error;  // what decoding frame `index` threw
};

class FrameQueue {
 public:
  explicit FrameQueue(std::size_t capacity) : capacity_(capacity) {}

  // Producer: waits for room; false (the item dropped) once the queue is cancelled.
  bool push(QueuedFrame item);
  // Consumer: waits for the next item.
  QueuedFrame pop();
  // Wakes and refuses the producer; queued items stay until reset().
  void cancel();
  // Drops every item (their pictures go back to the decoder's pool) and accepts pushes again.
  void reset();

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<QueuedFrame> items_;
  bool cancelled_ = false;
};

}  // namespace bt::video::detail

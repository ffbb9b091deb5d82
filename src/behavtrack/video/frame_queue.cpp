#include "behavtrack/video/frame_queue.h"

namespace bt::video::detail {

bool FrameQueue::push(QueuedFrame item) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return cancelled_ || items_.size() < capacity_; });
  if (cancelled_) return false;
  items_.push_back(std::move(item));
  changed_.notify_all();
  return true;
}

QueuedFrame FrameQueue::pop() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !items_.empty(); });
  QueuedFrame item = std::move(items_.front());
  items_.pop_front();
  changed_.notify_all();
  return item;
}

void FrameQueue::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  changed_.notify_all();
}

void FrameQueue::reset() {
  std::deque<QueuedFrame> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dropped.swap(items_);
    cancelled_ = false;
  }
}

}  // namespace bt::video::detail

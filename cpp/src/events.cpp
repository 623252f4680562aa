#include "liqsim/events.hpp"

#include <algorithm>

#include "liqsim/event_pool.hpp"

namespace liqsim {

void EventLog::reserve_for(std::size_t extra) {
  if (buf_.size() - n_ >= extra) return;
  if (n_ == 0) {
    std::vector<Event> recycled = EventPool::instance().acquire(extra);
    if (recycled.capacity() >= extra) {
      EventPool::instance().release(std::move(buf_));
      buf_ = std::move(recycled);
      buf_.resize(buf_.capacity());  // Event() leaves the records uninitialized: no writes
      rebase();
      return;
    }
  }
  buf_.resize(n_ + extra);
  rebase();
}

void EventLog::grow() {
  if (listener_) listener_->before_grow();
  buf_.resize(std::max<std::size_t>(1024, 2 * buf_.size()));
  rebase();
  if (listener_) listener_->after_grow(buf_.data());
}

}  // namespace liqsim

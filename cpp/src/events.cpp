#include "liqsim/events.hpp"

#include "liqsim/event_pool.hpp"

namespace liqsim {

void EventLog::reserve_for(std::size_t extra) {
  if (buf_.capacity() - buf_.size() >= extra) return;
  if (buf_.empty()) {
    std::vector<Event> recycled = EventPool::instance().acquire(extra);
    if (recycled.capacity() >= extra) {
      EventPool::instance().release(std::move(buf_));
      buf_ = std::move(recycled);
      return;
    }
  }
  buf_.reserve(buf_.size() + extra);
}

}  // namespace liqsim

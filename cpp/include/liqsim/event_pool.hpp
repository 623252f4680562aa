// Recycles event buffers. A drained event log is handed to Python without copying; when that
// array is garbage-collected its buffer comes back here instead of being freed, and the next
// batch writes into memory that is already mapped. Fresh memory costs a page fault per 4 KiB
// (on the 2-core dev VMs 211 vs 123 ns per order of a 1M-order batch: docs/benchmarks.md). Process-wide and thread-safe: exchanges in several threads share it.
#pragma once
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "liqsim/events.hpp"

namespace liqsim {

class EventPool {
 public:
  // At most this many bytes of event buffers are kept for reuse; more is freed.
  static constexpr std::size_t kMaxPooledBytes = std::size_t{512} << 20;

  static EventPool& instance() {
    static EventPool pool;
    return pool;
  }

  // An empty buffer with capacity >= `min_events` if one is pooled (the smallest that fits),
  // else an empty buffer with no capacity.
  std::vector<Event> acquire(std::size_t min_events) {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t best = buffers_.size();
    for (std::size_t i = 0; i < buffers_.size(); ++i)
      if (buffers_[i].capacity() >= min_events &&
          (best == buffers_.size() || buffers_[i].capacity() < buffers_[best].capacity()))
        best = i;
    if (best == buffers_.size()) return {};
    std::vector<Event> out = std::move(buffers_[best]);
    buffers_.erase(buffers_.begin() + static_cast<std::ptrdiff_t>(best));
    pooled_bytes_ -= out.capacity() * sizeof(Event);
    return out;
  }

  void release(std::vector<Event>&& buf) {
    const std::size_t bytes = buf.capacity() * sizeof(Event);
    if (bytes < kMinPooledBytes) return;  // small buffers: malloc recycles those well enough
    std::lock_guard<std::mutex> lock(mu_);
    if (pooled_bytes_ + bytes > kMaxPooledBytes) return;  // `buf` frees itself
    buf.clear();
    pooled_bytes_ += bytes;
    buffers_.push_back(std::move(buf));
  }

  // Frees every pooled buffer (memory held for reuse goes back to the system).
  void clear() {
    std::vector<std::vector<Event>> drop;
    std::lock_guard<std::mutex> lock(mu_);
    drop.swap(buffers_);
    pooled_bytes_ = 0;
  }

  std::size_t pooled_bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pooled_bytes_;
  }

 private:
  static constexpr std::size_t kMinPooledBytes = std::size_t{1} << 20;
  mutable std::mutex mu_;
  std::vector<std::vector<Event>> buffers_;
  std::size_t pooled_bytes_ = 0;
};

}  // namespace liqsim

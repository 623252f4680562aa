// Settles the fills of a large batch on a second core while the matching thread goes on: the
// risk-post stage of exchange-core's pipeline, reduced to what a matching-only batch needs
// (cash, positions, fees). The worker reads the FILL events from the event log itself, in log
// order, so every balance ends bit for bit where inline settlement would have left it.
//
// Protocol: the matching thread calls publish() now and then (every few dozen rows: each call
// moves a cache line between the cores) to say that the events before log.size() are
// complete; the worker settles the fills among them. Before the matching thread reads anything
// the worker writes (positions and cash: a reduce-only cap, say) it calls drain(), which
// returns once everything complete is settled. The log's buffer never moves under the worker:
// the log tells this object before it grows (drain) and where the buffer went.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>

#include "liqsim/events.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace liqsim {

class SettleThread final : public EventLog::GrowListener {
 public:
  // Starts the worker; `settle(const Event&)` runs on it for each FILL event from log.size()
  // on, and must not touch anything the matching thread uses without drain(). Throws
  // std::system_error if no thread can be started.
  template <class Settle>
  SettleThread(EventLog& log, Settle& settle)
      : log_(log), base_(log.buffer().data()), published_(log.size()), settled_(log.size()) {
    thread_ = std::thread([this, &settle] { run(settle); });
    log_.set_grow_listener(this);
  }
  ~SettleThread() { finish(); }
  SettleThread(const SettleThread&) = delete;
  SettleThread& operator=(const SettleThread&) = delete;

  // The events recorded so far are complete: the worker may settle them.
  void publish() { published_.store(log_.size(), std::memory_order_release); }
  // Returns when every recorded event is settled; the worker's writes are then visible here.
  void drain() {
    publish();
    const std::size_t target = published_.load(std::memory_order_relaxed);
    flush_.store(true, std::memory_order_release);
    unsigned idle = 0;
    while (settled_.load(std::memory_order_acquire) != target) backoff(idle);
    flush_.store(false, std::memory_order_relaxed);
  }
  // Settles what is left and stops the worker (idempotent). Returns after the worker exited.
  void finish() {
    if (!thread_.joinable()) return;
    publish();
    stop_.store(true, std::memory_order_release);
    thread_.join();
    log_.set_grow_listener(nullptr);
  }

  void before_grow() override { drain(); }
  void after_grow(const Event* base) override { base_.store(base, std::memory_order_relaxed); }

 private:
  template <class Settle>
  void run(Settle& settle) {
    std::size_t done = settled_.load(std::memory_order_relaxed);
    unsigned idle = 0;
    for (;;) {
      // stop_ first: if it is set, the published count read after it is the final one.
      const bool stopping = stop_.load(std::memory_order_acquire);
      const bool flushing = flush_.load(std::memory_order_acquire);
      const std::size_t published = published_.load(std::memory_order_acquire);
      // Stay kLag events behind unless told to catch up (see kLag).
      const std::size_t end =
          stopping || flushing || published < kLag ? published : std::max(done, published - kLag);
      if (end != done) {
        // base_ was stored before the publish that made `end` visible (after_grow).
        const Event* ev = base_.load(std::memory_order_relaxed);
        for (; done < end; ++done)
          if (ev[done].type == static_cast<std::uint8_t>(EventType::Fill)) settle(ev[done]);
        settled_.store(done, std::memory_order_release);
        idle = 0;
        continue;
      }
      if (stopping && end == published) return;
      backoff(idle);
    }
  }

  // Spin briefly (the other side usually answers within microseconds), then give the core
  // away: on a busy machine the thread being waited for may need it.
  static void backoff(unsigned& idle) {
    if (++idle < 2048) {
#if defined(__x86_64__) || defined(__i386__)
      _mm_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }

  // The worker reads this many events behind the newest complete one. Reading right behind
  // the matching thread made it ~15% slower: the worker's hardware prefetcher ran ahead into
  // records the matching thread was about to write, so those lines had to be taken back.
  static constexpr std::size_t kLag = 512;

  EventLog& log_;
  std::atomic<const Event*> base_;
  // Written by the matching thread / by the worker: kept on separate cache lines.
  alignas(64) std::atomic<std::size_t> published_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> flush_{false};  // drain() is waiting: settle up to the newest event
  alignas(64) std::atomic<std::size_t> settled_;
  alignas(64) std::thread thread_;
};

}  // namespace liqsim

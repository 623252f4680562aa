// Map from order id to a 64-bit handle: where a live order rests, or that an id was used and
// its order is done. Ids are never erased (an id stays "seen" after its order is done, so reuse
// is detected and late cancels are told apart from unknown ids).
//
// Callers mostly number orders sequentially, so ids below 2^32 go to a paged direct table
// (4096 ids a page, pages allocated on first use). Most lookups in a busy book are of orders
// that are already done (late cancels), so a page keeps per id only a state byte (instrument + 1,
// 0 = never seen) and a live bit, 1 1/8 bytes an id, and the 4-byte pool index only for ids
// that were ever live. A late cancel then reads ~1 MB per million ids instead of 8 MB (an 8-byte
// table cost ~100 ns a late cancel on the dev VMs: docs/benchmarks.md). Batches still miss the
// cache on the state byte of a random id, so run_batch prefetches (prefetch()) the entries of
// the cancels and amends a few rows ahead (docs/benchmarks.md, session 9).
// Other ids (e.g. the engine's own, from 2^62) fall back to open
// addressing with linear probing over full handles.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim {

// Handles: a live order is (instrument << 32 | pool index); an order that was seen but is no
// longer live has the top bit set and keeps its instrument in the low bits.
inline constexpr std::uint64_t kDoneBit = std::uint64_t{1} << 63;

inline std::uint64_t live_handle(InstrumentId inst, std::uint32_t idx) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(inst)) << 32) | idx;
}
inline std::uint64_t done_handle(InstrumentId inst) {
  return kDoneBit | static_cast<std::uint32_t>(inst);
}
inline bool is_done(std::uint64_t h) { return (h & kDoneBit) != 0; }
inline InstrumentId handle_instrument(std::uint64_t h) {
  return is_done(h) ? static_cast<InstrumentId>(h & 0xFFFFFFFFu) : static_cast<InstrumentId>(h >> 32);
}
inline std::uint32_t handle_index(std::uint64_t h) { return static_cast<std::uint32_t>(h); }

class IdMap {
 public:
  static constexpr std::uint64_t kMissing = ~std::uint64_t{0};
  // Instruments the dense pages can record (the state byte holds instrument + 1).
  static constexpr InstrumentId kMaxInstruments = 255;

  IdMap(IdMap&&) noexcept = default;
  IdMap& operator=(IdMap&&) noexcept = default;
  // Deep copies (engine snapshots copy the whole exchange).
  IdMap(const IdMap& o) : table_(o.table_), mask_(o.mask_), hashed_(o.hashed_), size_(o.size_) {
    pages_.reserve(o.pages_.size());
    for (const auto& pg : o.pages_) pages_.push_back(pg ? std::make_unique<Page>(*pg) : nullptr);
  }
  IdMap& operator=(const IdMap& o) {
    if (this != &o) {
      IdMap copy(o);
      *this = std::move(copy);
    }
    return *this;
  }

  IdMap() { rehash(1024); }

  // Handle stored for `id`, or kMissing if the id was never inserted.
  std::uint64_t find(OrderId id) const {
    const auto u = static_cast<std::uint64_t>(id);
    if (u < kDenseLimit) {
      const std::size_t page = u >> kPageBits;
      if (page >= pages_.size() || !pages_[page]) return kMissing;
      const Page& pg = *pages_[page];
      const std::size_t i = u & kPageMask;
      const std::uint8_t st = pg.state[i];
      if (st == 0) return kMissing;
      if (!((pg.live[i >> 6] >> (i & 63)) & 1u)) return done_handle(st - 1);
      return live_handle(st - 1, (*pg.handles)[i]);
    }
    std::size_t i = slot(id);
    while (true) {
      const Entry& e = table_[i];
      if (e.key == id) return e.value;
      if (e.key == 0) return kMissing;
      i = (i + 1) & mask_;
    }
  }

  // Inserts or overwrites. A handle's instrument must be below kMaxInstruments. The common
  // case (a dense id on an allocated page) is inline; the rest goes to set_slow.
  [[gnu::always_inline]] void set(OrderId id, std::uint64_t value) {
    const auto u = static_cast<std::uint64_t>(id);
    const std::size_t page = u >> kPageBits;
    Page* pg = u < kDenseLimit && page < pages_.size() ? pages_[page].get() : nullptr;
    if (pg == nullptr || (!is_done(value) && !pg->handles)) return set_slow(id, value);
    const std::size_t i = u & kPageMask;
    size_ += pg->state[i] == 0;
    pg->state[i] = static_cast<std::uint8_t>(handle_instrument(value) + 1);
    const std::uint64_t bit = std::uint64_t{1} << (i & 63);
    if (is_done(value)) {
      pg->live[i >> 6] &= ~bit;
    } else {
      pg->live[i >> 6] |= bit;
      (*pg->handles)[i] = handle_index(value);
    }
  }

  [[gnu::noinline]] void set_slow(OrderId id, std::uint64_t value) {
    const auto u = static_cast<std::uint64_t>(id);
    if (u < kDenseLimit) {
      const std::size_t page = u >> kPageBits;
      if (page >= pages_.size()) pages_.resize(page + 1);
      if (!pages_[page]) pages_[page] = std::make_unique<Page>();
      Page& pg = *pages_[page];
      const std::size_t i = u & kPageMask;
      if (pg.state[i] == 0) ++size_;
      pg.state[i] = static_cast<std::uint8_t>(handle_instrument(value) + 1);
      const std::uint64_t bit = std::uint64_t{1} << (i & 63);
      if (is_done(value)) {
        pg.live[i >> 6] &= ~bit;  // the stale handle stays in `handles`, unread
      } else {
        pg.live[i >> 6] |= bit;
        if (!pg.handles) pg.handles = std::make_unique<std::array<std::uint32_t, kPageSize>>();
        (*pg.handles)[i] = handle_index(value);
      }
      return;
    }
    if ((hashed_ + 1) * 2 > table_.size()) rehash(table_.size() * 2);
    std::size_t i = slot(id);
    while (table_[i].key != 0 && table_[i].key != id) i = (i + 1) & mask_;
    if (table_[i].key == 0) {
      ++hashed_;
      ++size_;
    }
    table_[i] = Entry{id, value};
  }

  // set(id, done_handle(inst)) for an id that is live now: for dense ids only its live bit
  // changes (the state byte already holds the instrument), so no random read is needed.
  void retire_live(OrderId id, InstrumentId inst) {
    const auto u = static_cast<std::uint64_t>(id);
    if (u >= kDenseLimit) return set(id, done_handle(inst));
    const std::size_t i = u & kPageMask;
    pages_[u >> kPageBits]->live[i >> 6] &= ~(std::uint64_t{1} << (i & 63));
  }

  // Starts loading what find(id) reads for a dense id (state byte, live bit, pool index), so a
  // later find does not wait for memory. Itself it reads only per-page data (the page pointer
  // and its index array's address), which stays in cache.
  [[gnu::always_inline]] void prefetch(OrderId id) const {
    const auto u = static_cast<std::uint64_t>(id);
    const std::size_t page = u >> kPageBits;
    if (u >= kDenseLimit || page >= pages_.size() || !pages_[page]) return;
    const Page& pg = *pages_[page];
    const std::size_t i = u & kPageMask;
    __builtin_prefetch(&pg.state[i]);
    __builtin_prefetch(&pg.live[i >> 6]);
    if (pg.handles) __builtin_prefetch(&(*pg.handles)[i]);
  }

  std::size_t size() const { return size_; }

 private:
  static constexpr unsigned kPageBits = 12;
  static constexpr std::size_t kPageSize = std::size_t{1} << kPageBits;
  static constexpr std::uint64_t kPageMask = kPageSize - 1;
  static constexpr std::uint64_t kDenseLimit = std::uint64_t{1} << 32;

  struct Page {
    Page() = default;
    Page(const Page& o) : state(o.state), live(o.live) {
      if (o.handles) handles = std::make_unique<std::array<std::uint32_t, kPageSize>>(*o.handles);
    }
    Page& operator=(const Page&) = delete;
    std::array<std::uint8_t, kPageSize> state{};         // instrument + 1; 0 = never seen
    std::array<std::uint64_t, kPageSize / 64> live{};    // bit set: `handles` holds a live order
    // Pool index of each live order (its instrument is in `state`), once an id here rests: 4
    // bytes an id, half the cache footprint of full handles.
    std::unique_ptr<std::array<std::uint32_t, kPageSize>> handles;
  };

  struct Entry {
    OrderId key = 0;  // 0 = empty (valid ids are >= 1)
    std::uint64_t value = 0;
  };

  std::size_t slot(OrderId id) const {
    std::uint64_t x = static_cast<std::uint64_t>(id);  // splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return static_cast<std::size_t>(x) & mask_;
  }

  void rehash(std::size_t capacity) {
    std::vector<Entry> old;
    old.swap(table_);
    table_.assign(capacity, Entry{});
    mask_ = capacity - 1;
    for (const Entry& e : old) {
      if (e.key == 0) continue;
      std::size_t i = slot(e.key);
      while (table_[i].key != 0) i = (i + 1) & mask_;
      table_[i] = e;
    }
  }

  std::vector<std::unique_ptr<Page>> pages_;
  std::vector<Entry> table_;
  std::size_t mask_ = 0;
  std::size_t hashed_ = 0;
  std::size_t size_ = 0;
};

}  // namespace liqsim

// Map from order id to a 64-bit handle: where a live order rests, or that an id was used and
// its order is done. Ids are never erased (an id stays "seen" after its order is done, so reuse
// is detected and late cancels are told apart from unknown ids).
//
// Callers mostly number orders sequentially from small values, so the ids [0, dense_size())
// live in flat arrays indexed by the id itself, and the range grows (doubling) when an id a
// little beyond it arrives, as long as it stays dense (at most 4 slots per id held, plus 64Ki).
// Most lookups in a busy book are of orders that are already done (late cancels), so per id
// the arrays keep a state byte (instrument + 1, 0 = never seen) and a live bit apart from the
// 4-byte pool index that only live orders need (5 1/8 bytes an id in all): a late cancel reads
// ~1 MB per million ids instead of 8 MB (an 8-byte table cost ~100 ns a late cancel on the dev
// VMs: docs/benchmarks.md). Batches still miss the cache on the state
// byte of a random id, so run_batch prefetches (prefetch()) the entries of the cancels and
// amends a few rows ahead (docs/benchmarks.md, session 9). Other ids (far beyond the range,
// e.g. the engine's own from 2^62, or numbering that starts high) go to open addressing with
// linear probing over full handles; when the range grows over such an id, it moves into the
// arrays, so each id lives in exactly one place.
#pragma once
#include <algorithm>
#include <cstdint>
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
  // Instruments the flat arrays can record (the state byte holds instrument + 1).
  static constexpr InstrumentId kMaxInstruments = 255;

  IdMap() { rehash(1024); }

  // Handle stored for `id`, or kMissing if the id was never inserted.
  std::uint64_t find(OrderId id) const {
    const auto u = static_cast<std::uint64_t>(id);
    if (u < state_.size()) {
      const std::uint8_t st = state_[u];
      if (st == 0) return kMissing;
      if (!((live_[u >> 6] >> (u & 63)) & 1u)) return done_handle(st - 1);
      return live_handle(st - 1, index_[u]);
    }
    std::size_t i = slot(id);
    while (true) {
      const Entry& e = table_[i];
      if (e.key == 0) return kMissing;  // first: 0 marks an empty slot, never an id
      if (e.key == id) return e.value;
      i = (i + 1) & mask_;
    }
  }

  // Inserts or overwrites. A handle's instrument must be below kMaxInstruments. The common
  // case (an id inside the flat range) is inline; the rest goes to set_slow.
  [[gnu::always_inline]] void set(OrderId id, std::uint64_t value) {
    const auto u = static_cast<std::uint64_t>(id);
    if (u >= state_.size()) return set_slow(id, value);
    size_ += state_[u] == 0;
    state_[u] = static_cast<std::uint8_t>(handle_instrument(value) + 1);
    const std::uint64_t bit = std::uint64_t{1} << (u & 63);
    if (is_done(value)) {
      live_[u >> 6] &= ~bit;  // the stale pool index stays, unread
    } else {
      live_[u >> 6] |= bit;
      index_[u] = handle_index(value);
    }
  }

  [[gnu::noinline]] void set_slow(OrderId id, std::uint64_t value) {
    const auto u = static_cast<std::uint64_t>(id);
    if (u < kMaxDense && u <= 2 * state_.size() + kMinDense) {
      const std::uint64_t n = dense_target(u + 1);
      if (n <= 4 * (size_ + kMinDense)) {  // stays dense: not a few far-apart ids
        grow_dense(n);
        return set(id, value);
      }
    }
    set_hashed(id, value);
  }

  // set(id, done_handle(inst)) for an id that is live now: inside the flat range only its live
  // bit changes (the state byte already holds the instrument), so no random read is needed.
  // Allocates nothing: a hashed id is updated in place (matching retires makers with it).
  void retire_live(OrderId id, InstrumentId inst) {
    const auto u = static_cast<std::uint64_t>(id);
    if (u >= state_.size()) return set_hashed(id, done_handle(inst));
    live_[u >> 6] &= ~(std::uint64_t{1} << (u & 63));
  }

  // Starts loading what find(id) reads for an id in the flat range (state byte, live bit, pool
  // index), so a later find does not wait for memory.
  [[gnu::always_inline]] void prefetch(OrderId id) const {
    const auto u = static_cast<std::uint64_t>(id);
    if (u >= state_.size()) return;
    __builtin_prefetch(&state_[u]);
    __builtin_prefetch(&live_[u >> 6]);
    __builtin_prefetch(&index_[u]);
  }

  std::size_t size() const { return size_; }
  std::size_t dense_size() const { return state_.size(); }

 private:
  // The flat range grows to cover an id at most this far beyond it (plus doubling), so sparse
  // numbering cannot make it huge; ids below 2^32 at most (4-byte ids would do, but 2^32 state
  // bytes already is 4 GiB).
  static constexpr std::uint64_t kMinDense = std::uint64_t{1} << 16;
  static constexpr std::uint64_t kMaxDense = std::uint64_t{1} << 32;

  struct Entry {
    OrderId key = 0;  // 0 = empty (valid ids are >= 1)
    std::uint64_t value = 0;
  };

  // An existing key is updated in place (no allocation); a new one may grow the table first.
  void set_hashed(OrderId id, std::uint64_t value) {
    std::size_t i = probe(id);
    if (table_[i].key == 0) {
      if ((hashed_ + 1) * 2 > table_.size()) {
        rehash(table_.size() * 2);
        i = probe(id);
      }
      ++hashed_;
      ++size_;
    }
    table_[i] = Entry{id, value};
  }
  std::size_t probe(OrderId id) const {  // the key's slot, or the empty slot where it goes
    std::size_t i = slot(id);
    while (table_[i].key != 0 && table_[i].key != id) i = (i + 1) & mask_;
    return i;
  }

  // Size of the flat range once it holds `need` ids: doubling, multiples of 64.
  std::uint64_t dense_target(std::uint64_t need) const {
    const std::uint64_t n = std::max<std::uint64_t>({need, 2 * state_.size(), kMinDense});
    return std::min<std::uint64_t>((n + 63) & ~std::uint64_t{63}, kMaxDense);
  }

  // Flat range to `n` ids, then the hashed ids it now covers move into it. Everything that
  // can fail to allocate happens first, so a bad_alloc leaves the map as it was.
  void grow_dense(std::uint64_t n) {
    state_.reserve(n);
    live_.reserve(n / 64);
    index_.reserve(n);
    std::vector<Entry> kept(hashed_ != 0 ? table_.size() : 0);
    state_.resize(n, 0);
    live_.resize(n / 64, 0);
    index_.resize(n, 0);
    if (hashed_ == 0) return;
    kept.swap(table_);  // kept: the old entries; table_: empty, same capacity
    hashed_ = 0;
    for (const Entry& e : kept) {
      if (e.key == 0) continue;
      --size_;  // counted again where it goes
      if (static_cast<std::uint64_t>(e.key) < n) {
        set(e.key, e.value);
      } else {
        table_[probe(e.key)] = e;  // fewer entries than before: no growth needed
        ++hashed_;
        ++size_;
      }
    }
  }

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

  std::vector<std::uint8_t> state_;   // per id in the flat range: instrument + 1; 0 = never seen
  std::vector<std::uint64_t> live_;   // bit set: index_ holds the pool index of a live order
  std::vector<std::uint32_t> index_;  // pool index of live orders (their instrument: state_)
  std::vector<Entry> table_;
  std::size_t mask_ = 0;
  std::size_t hashed_ = 0;
  std::size_t size_ = 0;
};

}  // namespace liqsim

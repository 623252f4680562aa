// Liquidation trigger index of one instrument: accounts ordered by the mark price at which
// they would become liquidatable, per position side. After a mark move only the accounts whose
// trigger was crossed are visited, so the cost grows with the number triggered, not held.
// Keys are conservative (a superset); the caller confirms each candidate exactly.
#pragma once
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "liqsim/account_array.hpp"
#include "liqsim/risk/sorted_blocks.hpp"
#include "liqsim/types.hpp"

namespace liqsim {

class TriggerIndex {
 public:
  void resize(std::size_t traders) { where_.resize(traders); }

  // A long is a candidate when mark <= key, a short when mark >= key.
  void set(AccountId a, Side position_side, Price key) {
    erase(a);
    side_set(position_side == Side::Buy ? 1 : -1).insert({key, a});
    Entry& e = where_[a];
    e.key = key;
    e.side = static_cast<std::int8_t>(position_side);
  }

  void erase(AccountId a) {
    Entry& e = where_[a];
    if (e.side == 0) return;
    if (e.pending) --pending_count_;
    else if (!e.hidden) side_set(e.side).erase({e.key, a});
    const bool queued = e.queued;  // still in pending_: flush() must skip it, not list it twice
    e = Entry{};
    e.queued = queued;
  }

  // A hidden account keeps its key but is left out of candidates() and hit() until shown (or
  // set or erased). The risk stage hides parked accounts (parked_accounts.hpp).
  //
  // A shown account is not put back in its sorted set at once but listed from a pending list
  // until flush(): the risk stage shows every parked account at each throttle window's start
  // and hides most of them again in the same stage, so they need never move.
  void hide(AccountId a) {
    Entry& e = where_[a];
    if (e.side == 0 || e.hidden) return;
    if (e.pending) {
      e.pending = false;
      --pending_count_;
    } else {
      side_set(e.side).erase({e.key, a});
    }
    e.hidden = true;
  }
  void show(AccountId a) {
    Entry& e = where_[a];
    if (e.side == 0 || !e.hidden) return;
    e.hidden = false;
    e.pending = true;
    ++pending_count_;
    if (!e.queued) {
      e.queued = true;
      pending_.push_back(a);
    }
  }
  // Puts the pending accounts into their sorted sets (the risk stage calls it at its end).
  void flush() {
    for (const AccountId a : pending_) {
      Entry& e = where_[a];
      e.queued = false;
      if (!e.pending) continue;
      e.pending = false;
      side_set(e.side).insert({e.key, a});
    }
    pending_.clear();
    pending_count_ = 0;
  }

  // Longs by (key, account), then shorts by (key, account), then the pending accounts in the
  // order they were shown. (The risk stage sorts what is due; listing order has no effect.)
  void candidates(Price mark, std::vector<AccountId>& out) const {
    longs_.for_each_from({mark, std::numeric_limits<AccountId>::min()},
                         [&](const Keyed& k) { out.push_back(k.second); });
    shorts_.for_each_while([&](const Keyed& k) {
      if (k.first > mark) return false;
      out.push_back(k.second);
      return true;
    });
    for (const AccountId a : pending_)
      if (where_[a].pending && hit(a, mark)) out.push_back(a);
  }

  // Whether `a` is among candidates(mark).
  bool hit(AccountId a, Price mark) const {
    const Entry& e = where_[a];
    if (e.hidden) return false;
    return e.side > 0 ? mark <= e.key : e.side < 0 && e.key <= mark;
  }

  // The key and position side `a` is indexed with (side 0: not indexed).
  Price key(AccountId a) const { return where_[a].key; }
  int side(AccountId a) const { return where_[a].side; }

  // Indexed accounts, hidden ones not counted.
  std::size_t size() const { return longs_.size() + shorts_.size() + pending_count_; }

 private:
  using Keyed = std::pair<Price, AccountId>;
  struct Entry {
    Price key = 0;
    std::int8_t side = 0;  // 0: not indexed
    bool hidden = false;
    bool pending = false;  // shown, listed from pending_, not yet in its sorted set
    bool queued = false;   // in pending_ (possibly no longer pending)
  };
  SortedBlocks<Keyed>& side_set(int side) { return side > 0 ? longs_ : shorts_; }

  SortedBlocks<Keyed> longs_, shorts_;
  std::vector<AccountId> pending_;
  std::size_t pending_count_ = 0;
  AccountArray<Entry> where_;
};

}  // namespace liqsim

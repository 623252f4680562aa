// One instrument's limit order book: price levels kept in a sorted vector per side (best level
// at the back, where nearly all activity is), FIFO queues of resting orders inside each level
// as intrusive lists over a pooled order array. Matching follows docs/matching.md.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "liqsim/account_array.hpp"
#include "liqsim/book/id_map.hpp"
#include "liqsim/events.hpp"
#include "liqsim/types.hpp"

namespace liqsim {

inline constexpr std::uint32_t kNil = ~std::uint32_t{0};

struct RestingOrder {
  OrderId id;
  Price price;
  Qty leaves;
  AccountId account;
  std::uint32_t prev;  // FIFO neighbours inside the price level
  std::uint32_t next;
  Side side;
  Kind kind;
  bool reduce_only;
};
static_assert(sizeof(RestingOrder) == 40, "a resting order fits in 40 bytes");

struct Level {
  Price price;
  Qty qty;             // sum of leaves
  std::uint32_t head;  // oldest
  std::uint32_t tail;  // newest
  std::uint32_t count;
};

// An incoming order (or an amended order re-entering) while it takes liquidity.
struct Taker {
  OrderId id;
  AccountId account;
  Side side;
  Kind kind;
  Price limit;
  Qty leaves;
  bool reduce_only;
};

struct Fill {
  InstrumentId instrument;
  OrderId taker_order;
  OrderId maker_order;
  AccountId taker;
  AccountId maker;
  Side taker_side;
  Price price;
  Qty qty;
  bool auction = false;  // call-auction fill: no aggressor, both sides pay the maker fee
};

// Settles each fill as it happens (positions, cash, fees): the clearing layer implements it.
class FillSink {
 public:
  virtual void on_fill(const Fill& f) = 0;
  // Called before matching reads positions (reduce-only caps): fills may be settling on
  // another thread (clearing/settle_thread.hpp), and this waits for them.
  virtual void sync_positions() = 0;

 protected:
  ~FillSink() = default;
};

// What matching may touch outside the book: the event log, this instrument's positions (read
// only, for reduce-only caps; indexable by system account ids), the fill sink, the id map (to
// retire filled orders).
struct MatchContext {
  EventLog& log;
  const Qty* positions;
  FillSink& sink;
  IdMap& ids;
  InstrumentId instrument;
  Stp stp;
  Timestamp ts;
};

// Lots an account can still reduce with an order on `side`, given its signed position.
inline Qty reduce_cap(Qty position, Side side) {
  if (side == Side::Sell) return position > 0 ? position : 0;
  return position < 0 ? -position : 0;
}

class OrderBook {
 public:
  // Sweeps the opposite side while it crosses `t.limit`. Returns false if self-trade
  // prevention cancelled the taker (t.leaves is then the cancelled remainder), true otherwise.
  bool match(Taker& t, MatchContext& ctx);
  // Quantity a taker could fill right now (dry run of `match`, nothing changes): for FOK.
  Qty fillable(const Taker& t, const MatchContext& ctx, Qty needed) const;
  bool crosses(Side side, Price limit) const;

  std::uint32_t rest(const Taker& t);
  void remove(std::uint32_t idx);                  // unlink from its level and free
  void reduce(std::uint32_t idx, Qty new_leaves);  // in place, keeps priority
  void requeue(std::uint32_t idx, Price price, Qty leaves);  // back of (new) level

  const RestingOrder& order(std::uint32_t idx) const { return pool_[idx]; }
  bool empty(Side side) const { return levels(side).empty(); }
  const Level& best(Side side) const { return levels(side).back(); }
  // Levels of one side, best first.
  std::size_t level_count(Side side) const { return levels(side).size(); }
  const Level& level(Side side, std::size_t i) const {
    const auto& v = levels(side);
    return v[v.size() - 1 - i];
  }
  std::size_t live_orders() const { return pool_.size() - free_.size(); }

  // Single-price call auction (book/auction.cpp): the price that maximizes executed volume,
  // then minimal imbalance, then closest to `reference`; fills at that one price in
  // price-time priority (FILL events with side 0 and code 1: order_id = the buy order,
  // other_order_id = the sell order; every fill goes through ctx.sink with the buyer as the
  // "taker" argument). Orders left unmatched stay in the book. Returns the uncross price, or
  // 0 if nothing crossed. Used to reopen after a halt, when the book may be crossed.
  Price uncross(Price reference, MatchContext& ctx);
  // The auction price uncross() would use, and its executable volume, without trading.
  std::pair<Price, Qty> indicative_uncross(Price reference) const;

  // Per-account view: resting quantity by side (for margin checks) and each account's list of
  // orders (for cancelling everything an account has when it is liquidated). Keeping them up
  // to date costs a cache miss or two per order (the account's totals, the neighbours of a
  // random order), so a book does so only when asked: the exchange asks when risk is on.
  // Otherwise the totals are recounted in one walk over the book when next asked for after a
  // change (account reports, margin-mode changes: not the matching path). Only on an empty book.
  void track_account_orders(bool on);
  void resize_accounts(std::size_t n) { accounts_.resize(n); }
  Qty open_qty(AccountId a, Side s) const {
    if (!track_accounts_ && !open_counted_) recount_open();
    return accounts_[a].open[side_index(s)];
  }
  // Every resting order has leaves > 0, so an account has orders iff it has open quantity.
  bool has_orders(AccountId a) const {
    return open_qty(a, Side::Buy) + open_qty(a, Side::Sell) > 0;
  }
  // Cancels all of an account's resting orders (CANCEL events with `why`); returns how many.
  // Needs the account lists (track_account_orders) when the account has orders.
  std::size_t cancel_all(AccountId a, Reason why, MatchContext& ctx);

 private:
  // Per-side data is indexed by arithmetic on the side, not chosen by a branch: sides arrive in
  // random order and such branches mispredicted about once every three orders.
  static std::size_t side_index(Side s) { return static_cast<std::size_t>(1 - sign(s)) >> 1; }
  static constexpr std::size_t kBids = 0, kAsks = 1;  // side_index(Buy), side_index(Sell)
  std::vector<Level>& levels(Side s) { return sides_[side_index(s)]; }
  const std::vector<Level>& levels(Side s) const { return sides_[side_index(s)]; }
  // Sort key: ascending in the vector, best (highest bid, lowest ask) last.
  static Price key(Side s, Price p) { return p * sign(s); }
  std::size_t find_level(Side s, Price p) const;  // index, or size() if absent
  // Index of the first level whose key is >= key(s, p): p's level, or where it would go.
  //
  // Near the best, levels are usually one tick apart, so the level of price p is most likely
  // `key(best) - key(p)` places below the back. Keys rise by at least 1 per place, so whatever
  // sits at that guess has key <= key(s, p) and p's place (if any) is at or above it: the guess
  // is checked first (inline: most orders join an existing level near the best) and bounds the
  // bisection otherwise. Branch-light on purpose: a walk over levels of random depth
  // mispredicted about once per order.
  std::size_t lower_level(Side s, Price p) const {
    const auto& v = levels(s);
    const std::size_t n = v.size();
    if (n == 0) return 0;
    const Price k = key(s, p);
    const Price kb = key(s, v[n - 1].price);
    if (k >= kb) return k == kb ? n - 1 : n;  // at or beyond the best
    const auto dist = static_cast<std::uint64_t>(kb - k);
    std::size_t lo = 0;
    if (dist < n) {
      lo = n - 1 - static_cast<std::size_t>(dist);
      if (v[lo].price == p) return lo;
    }
    return bisect_level(s, p, lo);
  }
  // First index >= lo (and below the best) whose key is >= key(s, p).
  std::size_t bisect_level(Side s, Price p, std::size_t lo) const;
  Level& level_for_insert(Side s, Price p);
  void link_back(Level& lv, std::uint32_t idx);  // FIFO only
  void unlink(Level& lv, std::uint32_t idx);     // FIFO only
  void attach(std::uint32_t idx);                // level, account list, open qty
  void detach(Level& lv, std::uint32_t idx);     // inverse of attach, then frees the slot
  void pop_head(Level& lv);                      // detach of a fully filled head maker
  void unlink_account(std::uint32_t idx);        // out of its account's list (tracking only)
  // The account's open quantity on o's side changes by `delta` (kept up to date only with
  // account lists; otherwise the totals are marked for a recount).
  void add_open(const RestingOrder& o, Qty delta) {
    if (track_accounts_) accounts_[o.account].open[side_index(o.side)] += delta;
    else open_counted_ = false;
  }
  void recount_open() const;
  void erase_level_if_empty(Side s, std::size_t li);
  std::uint32_t alloc();
  void cancel_maker(std::uint32_t idx, Qty cancel_qty, Reason why, MatchContext& ctx);

  struct AccountOrders {
    std::uint32_t head = kNil;
    Qty open[2] = {0, 0};  // resting quantity: buy, sell (side_index)
  };

  bool track_accounts_ = false;
  mutable bool open_counted_ = true;  // without account lists: accounts_' totals are current
  std::array<std::vector<Level>, 2> sides_;  // [kBids], [kAsks]
  mutable AccountArray<AccountOrders> accounts_;  // totals recounted on demand (open_qty)
  // Neighbours among the same account's orders in this book, per pool slot, when the book tracks
  // account orders (empty otherwise). Kept apart from the orders: matching never reads them,
  // and a smaller order record keeps more of the book in cache.
  struct AccountLinks {
    std::uint32_t prev = kNil;
    std::uint32_t next = kNil;
  };
  std::vector<RestingOrder> pool_;
  std::vector<AccountLinks> links_;
  std::vector<std::uint32_t> free_;
};

}  // namespace liqsim

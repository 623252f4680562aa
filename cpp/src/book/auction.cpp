// Single-price call auction, used to reopen a book after a trading halt (during a halt orders
// rest without matching, so the book may be crossed: best bid >= best ask).
//
// Price: the candidates are the distinct resting limit prices. At a price p the buy volume is
// the leaves of all bids priced >= p, the sell volume the leaves of all asks priced <= p, and
// the executable volume the smaller of the two. The auction price maximizes executable volume;
// ties go to the smaller imbalance |buy - sell|, then to the price closest to the reference
// (in ticks), then to the lower price. Only prices in [best ask, best bid] can execute
// anything, so the search merges just the levels of that range (ascending) with running sums:
// O(levels in the crossed range), no re-scan per candidate.
//
// Allocation: every fill is at the auction price. Both sides are walked in price-time priority
// (bids from the highest level down, asks from the lowest up, FIFO inside a level) and paired
// greedily while the current bid is priced >= p and the current ask <= p; each pairing is one
// fill. That is always the head order of the best level on each side, so fully filled orders
// are detached and emptied levels popped from the back exactly as in `match`; a partially
// filled order stays at the head of its level (keeps its priority) and unmatched orders are not
// touched. Cost: O(orders matched).
//
// Reduce-only resting orders get the same trim-on-touch rule as in `match`: when the walk
// reaches one, leaves above what the account can still reduce (given its position at that
// moment, which earlier auction fills may already have moved through the sink) are cancelled
// first (CANCEL, REDUCE_ONLY), the whole order if nothing can be reduced. The price search
// uses plain leaves (indicative volume), so trims can make the executed volume smaller than
// the indicative one; the price is not re-searched.
//
// Self-trade prevention is NOT applied in the auction: there is no aggressor whose remainder
// could be cancelled, and cancelling resting orders of a crossed book would change the volume
// the price was chosen for. A buy and a sell of the same account may therefore fill each other
// (their position is unchanged; the sink sees buyer == seller).
#include <algorithm>
#include <utility>

#include "liqsim/book/order_book.hpp"

namespace liqsim {

namespace {

Price tick_distance(Price a, Price b) { return a > b ? a - b : b - a; }

}  // namespace

std::pair<Price, Qty> OrderBook::indicative_uncross(Price reference) const {
  if (sides_[kBids].empty() || sides_[kAsks].empty()) return {0, 0};
  const Price best_bid = sides_[kBids].back().price;
  const Price best_ask = sides_[kAsks].back().price;
  if (best_bid < best_ask) return {0, 0};

  // Bid levels priced >= best_ask: sides_[kBids][bi..end) in ascending price order; `buy` starts as
  // their total, the buy volume at the lowest candidate.
  std::size_t bi = sides_[kBids].size();
  Qty buy = 0;
  while (bi > 0 && sides_[kBids][bi - 1].price >= best_ask) {
    --bi;
    buy += sides_[kBids][bi].qty;
  }
  // Ask levels priced <= best_bid, ascending from the back: sides_[kAsks][ai - 1] is the next one.
  std::size_t ai = sides_[kAsks].size();
  auto ask_next = [&] { return ai > 0 && sides_[kAsks][ai - 1].price <= best_bid; };
  Qty sell = 0;

  Price best_p = 0;
  Qty best_exec = 0;
  Qty best_imbalance = 0;
  Price best_dist = 0;
  while (bi < sides_[kBids].size() || ask_next()) {
    Price p;
    if (bi == sides_[kBids].size()) p = sides_[kAsks][ai - 1].price;
    else if (!ask_next()) p = sides_[kBids][bi].price;
    else p = std::min(sides_[kBids][bi].price, sides_[kAsks][ai - 1].price);

    if (ask_next() && sides_[kAsks][ai - 1].price == p) {
      sell += sides_[kAsks][ai - 1].qty;  // asks priced <= p
      --ai;
    }
    const Qty exec = std::min(buy, sell);  // `buy`: bids priced >= p
    const Qty imbalance = buy > sell ? buy - sell : sell - buy;
    const Price dist = tick_distance(p, reference);
    // Strict comparisons: candidates come in ascending price, so a full tie keeps the lower.
    if (exec > best_exec ||
        (exec == best_exec && exec > 0 &&
         (imbalance < best_imbalance || (imbalance == best_imbalance && dist < best_dist)))) {
      best_p = p;
      best_exec = exec;
      best_imbalance = imbalance;
      best_dist = dist;
    }
    if (bi < sides_[kBids].size() && sides_[kBids][bi].price == p) {
      buy -= sides_[kBids][bi].qty;  // from the next candidate on, bids at p are below it
      ++bi;
    }
  }
  if (best_exec == 0) return {0, 0};
  return {best_p, best_exec};
}

Price OrderBook::uncross(Price reference, MatchContext& ctx) {
  const auto [px, volume] = indicative_uncross(reference);
  if (volume == 0) return 0;

  // Reduce-only trim of the order at `idx` (see `match`); true if it was cancelled entirely.
  auto trimmed_away = [&](std::uint32_t idx) {
    const RestingOrder& o = pool_[idx];
    if (!o.reduce_only) return false;
    ctx.sink.sync_positions();
    const Qty cap = reduce_cap(ctx.positions[o.account], o.side);
    if (o.leaves <= cap) return false;
    cancel_maker(idx, o.leaves - cap, Reason::ReduceOnly, ctx);
    return cap == 0;
  };

  while (!sides_[kBids].empty() && !sides_[kAsks].empty() && sides_[kBids].back().price >= px &&
         sides_[kAsks].back().price <= px) {
    const std::uint32_t bi = sides_[kBids].back().head;
    const std::uint32_t ai = sides_[kAsks].back().head;
    if (trimmed_away(bi) || trimmed_away(ai)) continue;

    Level& bl = sides_[kBids].back();
    Level& al = sides_[kAsks].back();
    RestingOrder& b = pool_[bi];
    RestingOrder& a = pool_[ai];
    const Qty f = std::min(b.leaves, a.leaves);
    b.leaves -= f;
    bl.qty -= f;
    add_open(b, -f);
    a.leaves -= f;
    al.qty -= f;
    add_open(a, -f);

    Event& e = ctx.log.emit(EventType::Fill, ctx.ts, ctx.instrument);
    e.order_id = b.id;
    e.account = b.account;
    e.other_order_id = a.id;
    e.other_account = a.account;
    e.side = 0;  // no aggressor
    e.code = 1;  // auction fill
    e.price = px;
    e.qty = f;
    e.leaves = b.leaves;
    e.other_leaves = a.leaves;
    const Fill fill{ctx.instrument, b.id, a.id, b.account, a.account, Side::Buy, px, f,
                    /*auction=*/true};

    if (b.leaves == 0) {
      ctx.ids.retire_live(b.id, ctx.instrument);
      detach(bl, bi);
      erase_level_if_empty(Side::Buy, sides_[kBids].size() - 1);
    }
    if (a.leaves == 0) {
      ctx.ids.retire_live(a.id, ctx.instrument);
      detach(al, ai);
      erase_level_if_empty(Side::Sell, sides_[kAsks].size() - 1);
    }
    ctx.sink.on_fill(fill);
  }
  return px;
}

}  // namespace liqsim

#include "liqsim/book/order_book.hpp"

#include <algorithm>

#include "liqsim/error.hpp"

namespace liqsim {

namespace {

// Buy: level <= limit; sell: level >= limit (as a product: no branch on the side).
bool level_crosses(Side taker_side, Price level_price, Price limit) {
  return (limit - level_price) * sign(taker_side) >= 0;
}

Event& order_event(MatchContext& ctx, EventType type, Reason why, const RestingOrder& o) {
  Event& e = ctx.log.emit(type, ctx.ts, ctx.instrument);
  e.order_id = o.id;
  e.account = o.account;
  e.side = static_cast<std::int8_t>(o.side);
  e.price = o.price;
  e.code = static_cast<std::uint16_t>(why);
  return e;
}

}  // namespace

bool OrderBook::crosses(Side side, Price limit) const {
  const auto& opp = levels(opposite(side));
  return !opp.empty() && level_crosses(side, opp.back().price, limit);
}

bool OrderBook::match(Taker& t, MatchContext& ctx) {
  auto& opp = levels(opposite(t.side));
  while (t.leaves > 0 && !opp.empty() && level_crosses(t.side, opp.back().price, t.limit)) {
    const std::uint32_t mi = opp.back().head;
    RestingOrder& m = pool_[mi];

    if (ctx.stp != Stp::None && m.account == t.account) {
      if (ctx.stp == Stp::CancelNewest) {
        Event& e = ctx.log.emit(EventType::Cancel, ctx.ts, ctx.instrument);
        e.order_id = t.id;
        e.account = t.account;
        e.side = static_cast<std::int8_t>(t.side);
        e.price = t.limit;
        e.qty = t.leaves;
        e.code = static_cast<std::uint16_t>(Reason::SelfTrade);
        return false;  // t.leaves is what was cancelled
      }
      cancel_maker(mi, m.leaves, Reason::SelfTrade, ctx);
      continue;
    }

    if (m.reduce_only) {
      ctx.sink.sync_positions();
      const Qty cap = reduce_cap(ctx.positions[m.account], m.side);
      if (m.leaves > cap) {
        cancel_maker(mi, m.leaves - cap, Reason::ReduceOnly, ctx);
        if (cap == 0) continue;
      }
    }

    Level& lv = opp.back();
    const Qty f = std::min(t.leaves, m.leaves);
    const Price px = lv.price;
    t.leaves -= f;
    m.leaves -= f;
    lv.qty -= f;
    add_open(m, -f);

    Event& e = ctx.log.emit_unfilled(EventType::Fill, ctx.ts, ctx.instrument);
    e.order_id = t.id;
    e.other_order_id = m.id;
    e.price = px;
    e.qty = f;
    e.leaves = t.leaves;
    e.other_leaves = m.leaves;
    e.cash = 0;
    e.account = t.account;
    e.other_account = m.account;
    e.code = 0;
    e.side = static_cast<std::int8_t>(t.side);
    const Fill fill{ctx.instrument, t.id, m.id, t.account, m.account, t.side, px, f};

    if (m.leaves == 0) {
      ctx.ids.retire_live(m.id, ctx.instrument);
      pop_head(lv);
      if (lv.count == 0) opp.pop_back();
    }
    ctx.sink.on_fill(fill);
  }
  return true;
}

Qty OrderBook::fillable(const Taker& t, const MatchContext& ctx, Qty needed) const {
  // Position changes the sweep would make, so reduce-only caps of later makers are exact.
  std::vector<std::pair<AccountId, Qty>> delta;
  auto position_of = [&](AccountId a) {
    Qty p = ctx.positions[a];
    for (const auto& d : delta)
      if (d.first == a) p += d.second;
    return p;
  };
  auto add_delta = [&](AccountId a, Qty q) {
    for (auto& d : delta)
      if (d.first == a) {
        d.second += q;
        return;
      }
    delta.emplace_back(a, q);
  };

  Qty avail = 0;
  const auto& opp = levels(opposite(t.side));
  for (std::size_t li = opp.size(); li-- > 0;) {
    const Level& lv = opp[li];
    if (!level_crosses(t.side, lv.price, t.limit)) break;
    for (std::uint32_t i = lv.head; i != kNil; i = pool_[i].next) {
      const RestingOrder& m = pool_[i];
      if (ctx.stp != Stp::None && m.account == t.account) {
        if (ctx.stp == Stp::CancelNewest) return avail;
        continue;
      }
      Qty q = m.leaves;
      if (m.reduce_only) {
        ctx.sink.sync_positions();
        q = std::min(q, reduce_cap(position_of(m.account), m.side));
      }
      q = std::min(q, needed - avail);
      if (q <= 0) continue;
      avail += q;
      if (m.account != t.account) {
        add_delta(t.account, sign(t.side) * q);
        add_delta(m.account, -sign(t.side) * q);
      }
      if (avail >= needed) return avail;
    }
  }
  return avail;
}

void OrderBook::cancel_maker(std::uint32_t idx, Qty cancel_qty, Reason why, MatchContext& ctx) {
  RestingOrder& m = pool_[idx];
  Event& e = order_event(ctx, EventType::Cancel, why, m);
  e.qty = cancel_qty;
  e.leaves = m.leaves - cancel_qty;
  if (cancel_qty == m.leaves) {
    ctx.ids.retire_live(m.id, ctx.instrument);
    remove(idx);
  } else {
    reduce(idx, m.leaves - cancel_qty);
  }
}

std::uint32_t OrderBook::alloc() {
  if (!free_.empty()) {
    const std::uint32_t idx = free_.back();
    free_.pop_back();
    return idx;
  }
  pool_.emplace_back();
  if (track_accounts_) links_.emplace_back();
  return static_cast<std::uint32_t>(pool_.size() - 1);
}

std::uint32_t OrderBook::rest(const Taker& t) {
  const std::uint32_t idx = alloc();
  pool_[idx] = RestingOrder{t.id, t.limit, t.leaves, t.account, kNil, kNil, t.side, t.kind,
                            t.reduce_only};
  attach(idx);
  return idx;
}

std::size_t OrderBook::bisect_level(Side s, Price p, std::size_t lo) const {
  const auto& v = levels(s);
  auto it = std::lower_bound(v.begin() + static_cast<std::ptrdiff_t>(lo), v.end() - 1, key(s, p),
                             [s](const Level& l, Price kk) { return key(s, l.price) < kk; });
  return static_cast<std::size_t>(it - v.begin());
}

std::size_t OrderBook::find_level(Side s, Price p) const {
  const std::size_t li = lower_level(s, p);
  const auto& v = levels(s);
  return li < v.size() && v[li].price == p ? li : v.size();
}

Level& OrderBook::level_for_insert(Side s, Price p) {
  auto& v = levels(s);
  const std::size_t li = lower_level(s, p);
  if (li < v.size() && v[li].price == p) return v[li];
  return *v.insert(v.begin() + static_cast<std::ptrdiff_t>(li), Level{p, 0, kNil, kNil, 0});
}

void OrderBook::link_back(Level& lv, std::uint32_t idx) {
  RestingOrder& o = pool_[idx];
  o.prev = lv.tail;
  o.next = kNil;
  if (lv.tail != kNil) pool_[lv.tail].next = idx;
  else lv.head = idx;
  lv.tail = idx;
  lv.qty += o.leaves;
  ++lv.count;
}

void OrderBook::unlink(Level& lv, std::uint32_t idx) {
  RestingOrder& o = pool_[idx];
  if (o.prev != kNil) pool_[o.prev].next = o.next;
  else lv.head = o.next;
  if (o.next != kNil) pool_[o.next].prev = o.prev;
  else lv.tail = o.prev;
  lv.qty -= o.leaves;
  --lv.count;
}

void OrderBook::attach(std::uint32_t idx) {
  RestingOrder& o = pool_[idx];
  link_back(level_for_insert(o.side, o.price), idx);
  if (track_accounts_) {
    AccountOrders& acct = accounts_[o.account];
    links_[idx] = AccountLinks{kNil, acct.head};
    if (acct.head != kNil) links_[acct.head].prev = idx;
    acct.head = idx;
  }
  add_open(o, o.leaves);
}

// detach() of a level's head that has no leaves left (a maker filled in full): the front of
// the queue moves on, and the level's quantity and the account's totals already dropped with
// the fill.
void OrderBook::pop_head(Level& lv) {
  const std::uint32_t idx = lv.head;
  const std::uint32_t next = pool_[idx].next;
  lv.head = next;
  if (next != kNil) pool_[next].prev = kNil;
  else lv.tail = kNil;
  --lv.count;
  if (track_accounts_) unlink_account(idx);
  free_.push_back(idx);
}

void OrderBook::unlink_account(std::uint32_t idx) {
  const AccountLinks l = links_[idx];
  if (l.prev != kNil) links_[l.prev].next = l.next;
  else accounts_[pool_[idx].account].head = l.next;
  if (l.next != kNil) links_[l.next].prev = l.prev;
}

void OrderBook::detach(Level& lv, std::uint32_t idx) {
  RestingOrder& o = pool_[idx];
  add_open(o, -o.leaves);
  unlink(lv, idx);
  if (track_accounts_) unlink_account(idx);
  free_.push_back(idx);
}

std::size_t OrderBook::cancel_all(AccountId a, Reason why, MatchContext& ctx) {
  if (!track_accounts_ && has_orders(a))
    fail(ErrorKind::InvalidConfig, "cancel_all needs a book that tracks account orders");
  std::size_t n = 0;
  while (accounts_[a].head != kNil) {
    cancel_maker(accounts_[a].head, pool_[accounts_[a].head].leaves, why, ctx);
    ++n;
  }
  return n;
}

void OrderBook::track_account_orders(bool on) {
  if (live_orders() > 0)
    fail(ErrorKind::InvalidConfig, "account order tracking can only change on an empty book");
  track_accounts_ = on;
  links_.resize(on ? pool_.size() : 0);
  recount_open();  // the totals of an empty book: all zero, whatever was kept before
}

void OrderBook::recount_open() const {
  for (auto a = -kSystemAccountCount; a < static_cast<AccountId>(accounts_.size()); ++a)
    accounts_[a].open[kBids] = accounts_[a].open[kAsks] = 0;
  for (std::size_t s = 0; s < 2; ++s)
    for (const Level& lv : sides_[s])
      for (std::uint32_t i = lv.head; i != kNil; i = pool_[i].next)
        accounts_[pool_[i].account].open[s] += pool_[i].leaves;
  open_counted_ = true;
}

void OrderBook::erase_level_if_empty(Side s, std::size_t li) {
  auto& v = levels(s);
  if (v[li].count == 0) v.erase(v.begin() + static_cast<std::ptrdiff_t>(li));
}

void OrderBook::remove(std::uint32_t idx) {
  const RestingOrder& o = pool_[idx];
  const Side side = o.side;
  const std::size_t li = find_level(side, o.price);
  detach(levels(side)[li], idx);
  erase_level_if_empty(side, li);
}

void OrderBook::reduce(std::uint32_t idx, Qty new_leaves) {
  RestingOrder& o = pool_[idx];
  Level& lv = levels(o.side)[find_level(o.side, o.price)];
  lv.qty -= o.leaves - new_leaves;
  add_open(o, new_leaves - o.leaves);
  o.leaves = new_leaves;
}

void OrderBook::requeue(std::uint32_t idx, Price price, Qty leaves) {
  RestingOrder& o = pool_[idx];
  const std::size_t li = find_level(o.side, o.price);
  unlink(levels(o.side)[li], idx);
  erase_level_if_empty(o.side, li);
  add_open(o, leaves - o.leaves);
  o.price = price;
  o.leaves = leaves;
  link_back(level_for_insert(o.side, price), idx);
}

}  // namespace liqsim

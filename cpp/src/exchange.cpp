#include "liqsim/exchange.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace liqsim {

namespace {

std::string str(std::int64_t v) { return std::to_string(v); }

Price market_limit(Side side, Price best_opposite, std::int64_t band_ppm) {
  const int128 p = best_opposite;
  if (side == Side::Buy) {
    const int128 lim = p * (kPpm + band_ppm) / kPpm;  // floor
    return static_cast<Price>(std::min<int128>(lim, kMaxPrice));
  }
  const int128 num = p * (kPpm - band_ppm);
  const int128 lim = (num + kPpm - 1) / kPpm;  // ceil (num >= 0)
  return static_cast<Price>(std::max<int128>(lim, 1));
}

}  // namespace

InstrumentId Exchange::add_instrument(const InstrumentSpec& spec) {
  if (spec.market_band_ppm <= 0 || spec.market_band_ppm >= kPpm)
    fail(ErrorKind::InvalidConfig,
         "market_band must be in (0, 1), got " + str(spec.market_band_ppm) + " ppm");
  if (instruments_.size() >= static_cast<std::size_t>(std::numeric_limits<InstrumentId>::max()))
    fail(ErrorKind::InvalidConfig, "too many instruments");
  Instrument ins{spec, OrderBook{}, std::vector<Qty>(num_accounts_, 0)};
  instruments_.push_back(std::move(ins));
  return static_cast<InstrumentId>(instruments_.size() - 1);
}

AccountId Exchange::add_account() { return add_accounts(1); }

AccountId Exchange::add_accounts(std::size_t n) {
  if (num_accounts_ + n > static_cast<std::size_t>(std::numeric_limits<AccountId>::max()))
    fail(ErrorKind::InvalidConfig, "too many accounts");
  const auto first = static_cast<AccountId>(num_accounts_);
  num_accounts_ += n;
  for (auto& ins : instruments_) ins.positions.resize(num_accounts_, 0);
  return first;
}

void Exchange::check_instrument(InstrumentId inst) const {
  if (inst < 0 || static_cast<std::size_t>(inst) >= instruments_.size())
    fail(ErrorKind::UnknownInstrument, "unknown instrument " + str(inst));
}

void Exchange::check_account(AccountId a) const {
  if (a < 0 || static_cast<std::size_t>(a) >= num_accounts_)
    fail(ErrorKind::UnknownAccount, "unknown account " + str(a));
}

void Exchange::check_ts(Timestamp ts) const {
  if (ts < now_)
    fail(ErrorKind::InvalidOrder,
         "ts " + str(ts) + " goes back in time (exchange clock is at " + str(now_) + ")");
}

void Exchange::validate(const NewOrder& o) const {
  check_instrument(o.instrument);
  check_account(o.account);
  if (o.id < 1) fail(ErrorKind::InvalidOrder, "order_id must be >= 1, got " + str(o.id));
  if (ids_.find(o.id) != IdMap::kMissing)
    fail(ErrorKind::DuplicateOrderId, "order_id " + str(o.id) + " was already used");
  if (o.side != Side::Buy && o.side != Side::Sell)
    fail(ErrorKind::InvalidOrder,
         "side must be +1 (buy) or -1 (sell), got " + str(static_cast<int>(o.side)));
  if (static_cast<std::uint8_t>(o.kind) >= kKindCount)
    fail(ErrorKind::InvalidOrder, "kind must be 0..4, got " + str(static_cast<int>(o.kind)));
  if (o.qty < 1 || o.qty > kMaxQty)
    fail(ErrorKind::InvalidOrder, "qty must be in 1..1e15 lots, got " + str(o.qty));
  if (o.kind != Kind::Market && (o.price < 1 || o.price > kMaxPrice))
    fail(ErrorKind::InvalidOrder, "price must be in 1..1e15 ticks, got " + str(o.price));
  check_ts(o.ts);
}

MatchContext Exchange::context(Instrument& ins, InstrumentId inst, Timestamp ts) {
  return MatchContext{log_, ins.positions, ids_, inst, ins.spec.stp, ts};
}

Event& Exchange::order_event(EventType type, Reason code, InstrumentId inst, OrderId id,
                             AccountId a, Side side, Price price, Qty qty) {
  Event& e = log_.emit(type, now_, inst);
  e.order_id = id;
  e.account = a;
  e.side = static_cast<std::int8_t>(side);
  e.price = price;
  e.qty = qty;
  e.code = static_cast<std::uint16_t>(code);
  return e;
}

void Exchange::submit(const NewOrder& o) {
  validate(o);
  now_ = o.ts;
  max_order_id_ = std::max(max_order_id_, o.id);
  Instrument& ins = instruments_[static_cast<std::size_t>(o.instrument)];
  OrderBook& book = ins.book;

  auto reject = [&](Reason why, Price price, Qty qty) {
    retire(o.id, o.instrument);
    order_event(EventType::Reject, why, o.instrument, o.id, o.account, o.side, price, qty);
  };

  Qty qty = o.qty;
  if (o.reduce_only) {
    const Qty cap = reduce_cap(ins.positions[static_cast<std::size_t>(o.account)], o.side);
    if (cap == 0) return reject(Reason::ReduceOnly, o.kind == Kind::Market ? 0 : o.price, o.qty);
    qty = std::min(qty, cap);
  }
  Price limit = o.price;
  if (o.kind == Kind::Market) {
    if (book.empty(opposite(o.side))) return reject(Reason::NoLiquidity, 0, o.qty);
    limit = market_limit(o.side, book.best(opposite(o.side)).price, ins.spec.market_band_ppm);
  }
  if (o.kind == Kind::PostOnly && book.crosses(o.side, limit))
    return reject(Reason::PostOnlyWouldCross, limit, o.qty);

  Event& acc = order_event(EventType::Accept, Reason::None, o.instrument, o.id, o.account,
                           o.side, limit, qty);
  acc.code = static_cast<std::uint16_t>(o.kind);
  acc.leaves = qty;

  Taker t{o.id, o.account, o.side, o.kind, limit, qty, o.reduce_only};
  if (o.kind == Kind::Fok) {
    MatchContext ctx = context(ins, o.instrument, now_);
    if (book.fillable(t, ctx, qty) < qty) {
      retire(o.id, o.instrument);
      order_event(EventType::Expire, Reason::FokUnfillable, o.instrument, o.id, o.account, o.side,
                  limit, qty);
      return;
    }
  }
  take_and_rest(ins, o.instrument, t, now_);
}

void Exchange::take_and_rest(Instrument& ins, InstrumentId inst, Taker& t, Timestamp ts) {
  MatchContext ctx = context(ins, inst, ts);
  const bool alive = ins.book.match(t, ctx);
  if (!alive || t.leaves == 0) return retire(t.id, inst);
  Reason expiry = Reason::None;
  switch (t.kind) {
    case Kind::Limit:
    case Kind::PostOnly:
      ids_.set(t.id, live_handle(inst, ins.book.rest(t)));
      return;
    case Kind::Ioc: expiry = Reason::IocRemainder; break;
    case Kind::Fok: expiry = Reason::FokUnfillable; break;
    case Kind::Market: expiry = Reason::MarketRemainder; break;
  }
  retire(t.id, inst);
  order_event(EventType::Expire, expiry, inst, t.id, t.account, t.side, t.limit, t.leaves);
}

void Exchange::cancel(OrderId id, Timestamp ts) {
  const std::uint64_t h = ids_.find(id);
  if (h == IdMap::kMissing) fail(ErrorKind::UnknownOrder, "unknown order_id " + str(id));
  check_ts(ts);
  now_ = ts;
  const InstrumentId inst = handle_instrument(h);
  if (is_done(h)) {
    Event& e = log_.emit(EventType::CancelReject, now_, inst);
    e.order_id = id;
    e.code = static_cast<std::uint16_t>(Reason::TooLate);
    return;
  }
  OrderBook& book = instruments_[static_cast<std::size_t>(inst)].book;
  const std::uint32_t idx = handle_index(h);
  const RestingOrder o = book.order(idx);
  order_event(EventType::Cancel, Reason::UserCancel, inst, o.id, o.account, o.side, o.price,
              o.leaves);
  book.remove(idx);
  retire(id, inst);
}

void Exchange::amend(OrderId id, Price price, Qty qty, Timestamp ts) {
  const std::uint64_t h = ids_.find(id);
  if (h == IdMap::kMissing) fail(ErrorKind::UnknownOrder, "unknown order_id " + str(id));
  if (qty < 0 || qty > kMaxQty)
    fail(ErrorKind::InvalidOrder, "qty must be in 1..1e15 lots (0 = unchanged), got " + str(qty));
  if (price < 0 || price > kMaxPrice)
    fail(ErrorKind::InvalidOrder,
         "price must be in 1..1e15 ticks (0 = unchanged), got " + str(price));
  check_ts(ts);
  now_ = ts;
  const InstrumentId inst = handle_instrument(h);
  auto amend_reject = [&](Reason why) {
    Event& e = log_.emit(EventType::AmendReject, now_, inst);
    e.order_id = id;
    e.price = price;
    e.qty = qty;
    e.code = static_cast<std::uint16_t>(why);
  };
  if (is_done(h)) return amend_reject(Reason::TooLate);

  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const std::uint32_t idx = handle_index(h);
  const RestingOrder o = ins.book.order(idx);
  const Price new_price = price == 0 ? o.price : price;
  const Qty new_qty = qty == 0 ? o.leaves : qty;
  auto amended = [&](std::uint16_t priority_lost) {
    Event& e = order_event(EventType::Amend, Reason::None, inst, id, o.account, o.side, new_price,
                           new_qty);
    e.leaves = new_qty;
    e.code = priority_lost;
  };
  if (new_price == o.price) {
    if (new_qty <= o.leaves) {
      ins.book.reduce(idx, new_qty);
      return amended(0);
    }
    ins.book.requeue(idx, new_price, new_qty);
    return amended(1);
  }
  if (o.kind == Kind::PostOnly && ins.book.crosses(o.side, new_price))
    return amend_reject(Reason::PostOnlyWouldCross);
  ins.book.remove(idx);
  amended(1);
  Taker t{id, o.account, o.side, o.kind, new_price, new_qty, o.reduce_only};
  take_and_rest(ins, inst, t, now_);
}

void Exchange::run_batch(const BatchView& b) {
  for (std::size_t i = 0; i < b.n; ++i) {
    try {
      const Timestamp ts = b.ts ? b.ts[i] : now_;
      switch (b.cmd[i]) {
        case static_cast<std::uint8_t>(Cmd::New):
          submit(NewOrder{b.instrument[i], b.account[i], b.order_id[i],
                          static_cast<Side>(b.side[i]), static_cast<Kind>(b.kind[i]), b.price[i],
                          b.qty[i], b.reduce_only ? b.reduce_only[i] != 0 : false, ts});
          break;
        case static_cast<std::uint8_t>(Cmd::Cancel):
          cancel(b.order_id[i], ts);
          break;
        case static_cast<std::uint8_t>(Cmd::Amend):
          amend(b.order_id[i], b.price[i], b.qty[i], ts);
          break;
        default:
          fail(ErrorKind::InvalidOrder,
               "cmd must be 0 (new), 1 (cancel) or 2 (amend), got " + str(b.cmd[i]));
      }
    } catch (Error& e) {
      e.set_row(static_cast<std::int64_t>(i));
      throw;
    }
  }
}

const OrderBook& Exchange::book(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].book;
}

const InstrumentSpec& Exchange::spec(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].spec;
}

Qty Exchange::position(AccountId a, InstrumentId inst) const {
  check_instrument(inst);
  check_account(a);
  return instruments_[static_cast<std::size_t>(inst)].positions[static_cast<std::size_t>(a)];
}

const std::vector<Qty>& Exchange::positions(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].positions;
}

bool Exchange::order_info(OrderId id, OrderInfo& out) const {
  const std::uint64_t h = ids_.find(id);
  if (h == IdMap::kMissing || is_done(h)) return false;
  const InstrumentId inst = handle_instrument(h);
  const RestingOrder& o = instruments_[static_cast<std::size_t>(inst)].book.order(handle_index(h));
  out = OrderInfo{o.id, inst, o.account, o.side, o.kind, o.price, o.leaves, o.reduce_only};
  return true;
}

}  // namespace liqsim

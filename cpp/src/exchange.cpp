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

Exchange::Exchange(RiskSpec risk) : risk_(risk) {
  auto ppm_in = [](const char* name, std::int64_t v, std::int64_t lo, std::int64_t hi) {
    if (v < lo || v > hi)
      fail(ErrorKind::InvalidConfig, std::string(name) + " must be in [" + str(lo) + ", " +
                                         str(hi) + "] ppm, got " + str(v));
  };
  ppm_in("clearance_fee", risk.clearance_fee_ppm, 0, kPpm);
  ppm_in("partial_fraction", risk.partial_fraction_ppm, 1, kPpm);
  ppm_in("market_slippage", risk.market_slippage_ppm, 1, kPpm - 1);
  ppm_in("vault_trigger", risk.vault_trigger_ppm, 1, kPpm);
  ppm_in("unwind_slippage", risk.unwind_slippage_ppm, 1, kPpm - 1);
  if (risk.partial_threshold < 0 || risk.partial_min_slice < 0 || risk.partial_max_slice < 0)
    fail(ErrorKind::InvalidConfig, "partial liquidation notionals must be >= 0");
  if (risk.partial_max_slice > 0 && risk.partial_max_slice < risk.partial_min_slice)
    fail(ErrorKind::InvalidConfig, "partial_max_slice must be >= partial_min_slice");
  if (risk.partial_cooldown_ns < 0) fail(ErrorKind::InvalidConfig, "partial_cooldown must be >= 0");
  if (risk.max_per_step < 0) fail(ErrorKind::InvalidConfig, "max_per_step must be >= 0");
  if (risk.unwind_interval_ns < 0) fail(ErrorKind::InvalidConfig, "unwind_interval must be >= 0");
}

namespace {

void validate_control(const ControlSpec& c) {
  if (static_cast<std::uint8_t>(c.halt_mark) > 2)
    fail(ErrorKind::InvalidConfig, "halt mark mode code must be 0..2");
  if (c.liq_throttle_global < 0 || c.liq_throttle_account < 0)
    fail(ErrorKind::InvalidConfig, "liq_throttle caps must be >= 0");
  if (c.liq_throttle_window_ns <= 0)
    fail(ErrorKind::InvalidConfig, "liq_throttle window must be > 0, got " + str(c.liq_throttle_window_ns));
  if (c.auction_random_end_ns < 0)
    fail(ErrorKind::InvalidConfig, "auction random end must be >= 0");
  liqsim::validate(c.breakers);
}

// Only instruments with a policy on pay for the checks.
std::optional<Breakers> make_breakers(const BreakerSpec& b) {
  std::optional<Breakers> breakers;
  if (b.price_band.enabled || b.luld.enabled || b.dcb.enabled || b.velocity.enabled ||
      b.market_wide.enabled)
    breakers.emplace(b);
  return breakers;
}

}  // namespace

InstrumentId Exchange::add_instrument(const InstrumentSpec& spec) {
  if (spec.market_band_ppm <= 0 || spec.market_band_ppm >= kPpm)
    fail(ErrorKind::InvalidConfig,
         "market_band must be in (0, 1), got " + str(spec.market_band_ppm) + " ppm");
  if (spec.cash_per_tick_lot < 1)
    fail(ErrorKind::InvalidConfig,
         "cash per tick x lot must be a positive integer, got " + str(spec.cash_per_tick_lot));
  if (spec.taker_fee_ppm < 0 || spec.taker_fee_ppm > 100'000)
    fail(ErrorKind::InvalidConfig,
         "taker_fee must be in [0, 10%], got " + str(spec.taker_fee_ppm) + " ppm");
  if (spec.maker_fee_ppm < -spec.taker_fee_ppm || spec.maker_fee_ppm > 100'000)
    fail(ErrorKind::InvalidConfig, "maker_fee must be in [-taker_fee, 10%] (a rebate cannot exceed "
                                   "the taker fee), got " + str(spec.maker_fee_ppm) + " ppm");
  if (risk_.enabled && spec.tiers.empty())
    fail(ErrorKind::InvalidConfig, "margin tiers are required when risk is enabled");
  if (instruments_.size() >= 255)
    fail(ErrorKind::InvalidConfig, "at most 255 instruments");
  if (static_cast<std::uint8_t>(spec.mark_source) > 4)
    fail(ErrorKind::InvalidConfig, "mark_source code must be 0..4");
  if (spec.funding_interval_ns <= 0)
    fail(ErrorKind::InvalidConfig, "funding_interval must be > 0, got " + str(spec.funding_interval_ns));
  validate_control(spec.control);
  std::optional<Breakers> breakers = make_breakers(spec.control.breakers);
  std::optional<MarginTiers> tiers;
  if (!spec.tiers.empty()) tiers = MarginTiers::from_brackets(spec.tiers, spec.im_multiplier_ppm);
  std::optional<MarkPrice> pricer;
  if (spec.mark_source == MarkSource::Index || spec.mark_source == MarkSource::Binance ||
      spec.mark_source == MarkSource::Hyperliquid)
    pricer.emplace(static_cast<MarkRule>(spec.mark_source), spec.funding_interval_ns);
  FundingRate funding(spec.funding_interest_ppm, spec.funding_clamp_ppm, spec.funding_cap_ppm);
  Instrument ins;
  ins.spec = spec;
  ins.tiers = std::move(tiers);
  ins.pricer = std::move(pricer);
  ins.funding = funding;
  ins.book.track_account_orders(risk_.enabled);  // liquidations cancel an account's orders
  ins.book.resize_accounts(num_accounts_);
  ins.pos.resize(num_accounts_);
  ins.triggers.resize(num_accounts_);
  ins.isolated.resize(num_accounts_);
  ins.iso_cash.resize(num_accounts_);
  ins.breakers = std::move(breakers);
  if (ins.breakers) ++with_breakers_;
  if (spec.mark_source != MarkSource::Last) ++sourced_marks_;
  instruments_.push_back(std::move(ins));
  parked_.add_instrument();
  return static_cast<InstrumentId>(instruments_.size() - 1);
}

AccountId Exchange::add_account() { return add_accounts(1); }

AccountId Exchange::add_accounts(std::size_t n) {
  if (num_accounts_ + n > static_cast<std::size_t>(std::numeric_limits<AccountId>::max()))
    fail(ErrorKind::InvalidConfig, "too many accounts");
  const auto first = static_cast<AccountId>(num_accounts_);
  // All or nothing: if an allocation fails part way, every array goes back to the old size
  // (shrinking does not allocate) and the count is unchanged.
  try {
    resize_account_arrays(num_accounts_ + n);
  } catch (...) {
    resize_account_arrays(num_accounts_);
    throw;
  }
  num_accounts_ += n;
  return first;
}

void Exchange::resize_account_arrays(std::size_t n) {
  for (auto& ins : instruments_) {
    ins.book.resize_accounts(n);
    ins.pos.resize(n);
    ins.triggers.resize(n);
    ins.isolated.resize(n);
    ins.iso_cash.resize(n);
  }
  ledger_.resize(n);
  parked_.resize(n);
  open_positions_.resize(n);
  dirty_.resize(n);
  risk_stamp_.resize(n);
  stage_done_.resize(n);
  cand_listed_.resize(n);
  in_multi_.resize(n);
  last_liquidation_.resize(n);
}

void Exchange::unknown_instrument(InstrumentId inst) {
  fail(ErrorKind::UnknownInstrument, "unknown instrument " + str(inst));
}

void Exchange::unknown_account(AccountId a) {
  fail(ErrorKind::UnknownAccount, "unknown account " + str(a));
}

void Exchange::check_account_or_system(AccountId a) const {
  if (a < -kSystemAccountCount) unknown_account(a);
  if (a >= 0) check_account(a);
}

void Exchange::bad_price(const char* field, Price p, bool zero_keeps) {
  fail(ErrorKind::InvalidOrder, std::string(field) + " must be in 1..1e15 ticks" +
                                    (zero_keeps ? " (0 = unchanged)" : "") + ", got " + str(p));
}

void Exchange::ts_backwards(Timestamp ts) const {
  fail(ErrorKind::InvalidOrder,
       "ts " + str(ts) + " goes back in time (exchange clock is at " + str(now_) + ")");
}

void Exchange::validate(const NewOrder& o) const {
  check_instrument(o.instrument);
  check_account(o.account);
  // One unsigned compare: ids from 2^62 are the engine's own (liquidation and backstop orders).
  if (static_cast<std::uint64_t>(o.id) - 1 >= static_cast<std::uint64_t>(kFirstEngineOrderId) - 1)
    fail(ErrorKind::InvalidOrder, "order_id must be in 1..2^62-1 (ids from 2^62 are the engine's own), got " +
                                      str(o.id));
  if (ids_.find(o.id) != IdMap::kMissing)
    fail(ErrorKind::DuplicateOrderId, "order_id " + str(o.id) + " was already used");
  if (o.side != Side::Buy && o.side != Side::Sell)
    fail(ErrorKind::InvalidOrder,
         "side must be +1 (buy) or -1 (sell), got " + str(static_cast<int>(o.side)));
  if (static_cast<std::uint8_t>(o.kind) >= kKindCount)
    fail(ErrorKind::InvalidOrder, "kind must be 0..4, got " + str(static_cast<int>(o.kind)));
  if (o.qty < 1 || o.qty > kMaxQty)
    fail(ErrorKind::InvalidOrder, "qty must be in 1..1e15 lots, got " + str(o.qty));
  if (o.kind != Kind::Market) {
    check_price("price", o.price);
    check_notional(instruments_[static_cast<std::size_t>(o.instrument)], o.price, o.qty);
  } else {
    const Instrument& ins = instruments_[static_cast<std::size_t>(o.instrument)];
    if (!ins.book.empty(opposite(o.side)))  // else it is rejected for want of liquidity
      check_notional(ins, market_limit(o.side, ins.book.best(opposite(o.side)).price,
                                       ins.spec.market_band_ppm), o.qty);
  }
  check_ts(o.ts);
}

void Exchange::bad_notional(Price price, Qty qty) {
  fail(ErrorKind::InvalidOrder, "notional of " + str(qty) + " lots at " + str(price) +
                                    " ticks exceeds 1e18 cash units");
}

MatchContext Exchange::context(Instrument& ins, InstrumentId inst, Timestamp ts) {
  return MatchContext{log_, ins.pos.qty.data(), *this, ids_, inst, ins.spec.stp, ts};
}

Event& Exchange::order_event(EventType type, Reason code, InstrumentId inst, OrderId id,
                             AccountId a, Side side, Price price, Qty qty) {
  Event& e = log_.emit_unfilled(type, now_, inst);
  e.order_id = id;
  e.other_order_id = 0;
  e.price = price;
  e.qty = qty;
  e.leaves = 0;
  e.other_leaves = 0;
  e.cash = 0;
  e.account = a;
  e.other_account = 0;
  e.code = static_cast<std::uint16_t>(code);
  e.side = static_cast<std::int8_t>(side);
  return e;
}

void Exchange::submit(const NewOrder& o) {
  validate(o);
  now_ = o.ts;
  max_order_id_ = std::max(max_order_id_, o.id);
  // Timers due before this order (a halt that should already have started or ended) act first.
  if (instruments_[static_cast<std::size_t>(o.instrument)].breakers || any_halted_) control_stage();
  place(o);
  finish_command();
}

void Exchange::place(const NewOrder& o) {
  Instrument& ins = instruments_[static_cast<std::size_t>(o.instrument)];
  OrderBook& book = ins.book;

  auto reject = [&](Reason why, Price price, Qty qty) {
    retire(o.id, o.instrument);
    order_event(EventType::Reject, why, o.instrument, o.id, o.account, o.side, price, qty);
  };

  Qty qty = o.qty;
  if (o.reduce_only) {
    sync_positions();
    const Qty cap = reduce_cap(ins.pos.qty[o.account], o.side);
    if (cap == 0) return reject(Reason::ReduceOnly, o.kind == Kind::Market ? 0 : o.price, o.qty);
    qty = std::min(qty, cap);
  }
  Price limit = o.price;
  if (o.kind == Kind::Market) {
    if (book.empty(opposite(o.side))) return reject(Reason::NoLiquidity, 0, o.qty);
    limit = market_limit(o.side, book.best(opposite(o.side)).price, ins.spec.market_band_ppm);
  }
  const bool halted_now = halted(ins);
  if (ins.state == TradingState::Closed ||
      (halted_now && (o.kind == Kind::Ioc || o.kind == Kind::Fok || o.kind == Kind::Market)))
    return reject(Reason::Halted, o.kind == Kind::Market ? 0 : o.price, o.qty);
  if (o.kind != Kind::Market && ins.breakers &&
      !ins.breakers->admits(o.side, limit, ins.mark ? ins.mark : ins.last))
    return reject(Reason::PriceBand, limit, o.qty);
  if (o.kind == Kind::PostOnly && !halted_now && book.crosses(o.side, limit))
    return reject(Reason::PostOnlyWouldCross, limit, o.qty);
  if (ins.breakers && !halted_now) {  // LULD price sliding: trades print inside the bands
    const auto [lo, hi] = ins.breakers->trade_bounds();
    limit = o.side == Side::Buy ? std::min(limit, hi) : std::max(limit, lo);
  }
  if (risk_.enabled && !o.reduce_only && !passes_initial_margin(o, limit))
    return reject(Reason::InsufficientMargin, o.kind == Kind::Market ? 0 : o.price, o.qty);

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
  take_and_rest_inline(ins, o.instrument, t, now_);
}

Qty Exchange::take_and_rest(Instrument& ins, InstrumentId inst, Taker& t, Timestamp ts) {
  return take_and_rest_inline(ins, inst, t, ts);
}

inline Qty Exchange::take_and_rest_inline(Instrument& ins, InstrumentId inst, Taker& t,
                                          Timestamp ts) {
  const Qty start = t.leaves;
  MatchContext ctx = context(ins, inst, ts);
  // A halted book accepts orders but does not match them: they wait for the reopening auction.
  const bool alive = halted(ins) ? true : ins.book.match(t, ctx);
  const Qty filled = start - t.leaves;
  if (!alive || t.leaves == 0) {
    retire(t.id, inst);
    return filled;
  }
  Reason expiry = Reason::None;
  switch (t.kind) {
    case Kind::Limit:
    case Kind::PostOnly:
      ids_.set(t.id, live_handle(inst, ins.book.rest(t)));
      return filled;
    case Kind::Ioc: expiry = Reason::IocRemainder; break;
    case Kind::Fok: expiry = Reason::FokUnfillable; break;
    case Kind::Market: expiry = Reason::MarketRemainder; break;
  }
  retire(t.id, inst);
  order_event(EventType::Expire, expiry, inst, t.id, t.account, t.side, t.limit, t.leaves);
  return filled;
}

void Exchange::cancel(OrderId id, Timestamp ts) {
  const std::uint64_t h = ids_.find(id);
  if (h == IdMap::kMissing) fail(ErrorKind::UnknownOrder, "unknown order_id " + str(id));
  check_ts(ts);
  now_ = ts;
  const InstrumentId inst = handle_instrument(h);
  if (is_done(h)) {
    order_event(EventType::CancelReject, Reason::TooLate, inst, id, 0, Side{0}, 0, 0);
    return;
  }
  OrderBook& book = instruments_[static_cast<std::size_t>(inst)].book;
  const std::uint32_t idx = handle_index(h);
  const RestingOrder o = book.order(idx);
  order_event(EventType::Cancel, Reason::UserCancel, inst, o.id, o.account, o.side, o.price,
              o.leaves);
  book.remove(idx);
  ids_.retire_live(id, inst);
}

void Exchange::amend(OrderId id, Price price, Qty qty, Timestamp ts) {
  const std::uint64_t h = ids_.find(id);
  if (h == IdMap::kMissing) fail(ErrorKind::UnknownOrder, "unknown order_id " + str(id));
  if (qty < 0 || qty > kMaxQty)
    fail(ErrorKind::InvalidOrder, "qty must be in 1..1e15 lots (0 = unchanged), got " + str(qty));
  check_price("price", price, true);
  check_ts(ts);
  const InstrumentId inst = handle_instrument(h);
  if (!is_done(h)) {  // the amended order's notional, checked before anything changes
    const RestingOrder& cur = instruments_[static_cast<std::size_t>(inst)].book.order(handle_index(h));
    check_notional(instruments_[static_cast<std::size_t>(inst)], price == 0 ? cur.price : price,
                   qty == 0 ? cur.leaves : qty);
  }
  now_ = ts;
  apply_amend(h, id, price, qty);
  // Every amend, refused or in place too, ends with the post-trade pipeline like any other
  // order command (DESIGN: each inbound command; a partial liquidation takes its next step).
  finish_command();
}

void Exchange::apply_amend(std::uint64_t h, OrderId id, Price price, Qty qty) {
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
  // An amend that adds quantity or moves the price needs the margin a new order would (it
  // replaces the order's own open quantity); without this check a small order amended up
  // would get round the initial-margin rule of submit.
  if (risk_.enabled && !o.reduce_only && (new_qty > o.leaves || new_price != o.price) &&
      !passes_initial_margin(NewOrder{inst, o.account, id, o.side, o.kind, new_price, new_qty,
                                      false, now_},
                             new_price, o.leaves))
    return amend_reject(Reason::InsufficientMargin);
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
  if (o.kind == Kind::PostOnly && !halted(ins) && ins.book.crosses(o.side, new_price))
    return amend_reject(Reason::PostOnlyWouldCross);
  ins.book.remove(idx);
  amended(1);
  Taker t{id, o.account, o.side, o.kind, new_price, new_qty, o.reduce_only};
  take_and_rest(ins, inst, t, now_);
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
  check_account_or_system(a);
  return instruments_[static_cast<std::size_t>(inst)].pos.qty[a];
}

const PositionBook& Exchange::positions(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].pos;
}

bool Exchange::order_info(OrderId id, OrderInfo& out) const {
  const std::uint64_t h = ids_.find(id);
  if (h == IdMap::kMissing || is_done(h)) return false;
  const InstrumentId inst = handle_instrument(h);
  const RestingOrder& o = instruments_[static_cast<std::size_t>(inst)].book.order(handle_index(h));
  out = OrderInfo{o.id, inst, o.account, o.side, o.kind, o.price, o.leaves, o.reduce_only};
  return true;
}

void Exchange::set_control(InstrumentId inst, const ControlSpec& control, Timestamp ts) {
  check_instrument(inst);
  check_ts(ts);
  validate_control(control);
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  if (halted(ins))
    fail(ErrorKind::InvalidConfig, "cannot change the controls of a halted instrument");
  now_ = ts;
  ins.spec.control = control;
  if (ins.breakers) --with_breakers_;
  ins.breakers = make_breakers(control.breakers);
  if (ins.breakers) ++with_breakers_;
  ins.throttle_window = -1;
  ins.throttle_used = 0;
  ins.throttle_accounts.clear();
  ++defer_generation_;
  finish_command();
}

}  // namespace liqsim

// The risk stage run after every command: find accounts below maintenance margin (through the
// trigger index), liquidate them most-underwater first, hand unfilled rests to the backstop,
// deleverage opposite positions when the backstop cannot absorb the loss, and let the
// backstop unwind what it holds through the book.
#include <algorithm>
#include <limits>

#include "liqsim/exchange.hpp"

namespace liqsim {

namespace {

Price ceil_price(const PriceFraction& f) {
  int128 q = f.num / f.den;
  if (f.num % f.den != 0 && f.num > 0) ++q;
  return static_cast<Price>(std::clamp<int128>(q, 1, kMaxPrice));
}

Price floor_price(const PriceFraction& f) {
  int128 q = f.num / f.den;
  if (f.num % f.den != 0 && f.num < 0) --q;
  return static_cast<Price>(std::clamp<int128>(q, 1, kMaxPrice));
}

Price scale_price(Price p, std::int64_t ppm, bool round_up) {
  const int128 num = int128{p} * ppm;
  int128 q = num / kPpm;
  if (round_up && num % kPpm != 0) ++q;
  return static_cast<Price>(std::clamp<int128>(q, 1, kMaxPrice));
}

}  // namespace

void Exchange::risk_stage() {
  if (in_risk_stage_) return;
  in_risk_stage_ = true;
  std::vector<AccountId> cands;
  std::vector<AccountId> done;  // each account is liquidated at most once per stage
  std::int64_t quota = risk_.max_per_step > 0 ? risk_.max_per_step : std::numeric_limits<std::int64_t>::max();
  for (int round = 0; round < 1000 && quota > 0; ++round) {
    sync_marks();
    refresh_triggers();
    cands.clear();
    for (const Instrument& ins : instruments_) {
      const Price v = valuation_price(ins);
      if (v > 0) ins.triggers.candidates(v, cands);
    }
    multi_.erase(std::remove_if(multi_.begin(), multi_.end(), [&](AccountId a) { return !in_multi_[a]; }),
                 multi_.end());
    cands.insert(cands.end(), multi_.begin(), multi_.end());
    std::sort(cands.begin(), cands.end());
    cands.erase(std::unique(cands.begin(), cands.end()), cands.end());

    struct Due {
      AccountId a;
      Cash equity, maintenance;
    };
    std::vector<Due> due;
    for (const AccountId a : cands) {
      if (std::binary_search(done.begin(), done.end(), a)) continue;
      const AccountRisk r = account_risk(a);
      if (open_positions_[a] == 0 || r.equity >= r.maintenance) continue;
      if (risk_.mode == LiquidationMode::Partial && r.equity >= 0 && last_liquidation_[a] > 0 &&
          now_ - last_liquidation_[a] < risk_.partial_cooldown_ns)
        continue;
      due.push_back({a, r.equity, r.maintenance});
    }
    if (due.empty()) break;
    // Most underwater first: lowest equity / maintenance, then account id.
    std::sort(due.begin(), due.end(), [](const Due& x, const Due& y) {
      const int128 lhs = int128{x.equity} * y.maintenance, rhs = int128{y.equity} * x.maintenance;
      return lhs != rhs ? lhs < rhs : x.a < y.a;
    });
    for (const Due& d : due) {
      if (quota-- <= 0) break;
      liquidate(d.a);
      done.insert(std::upper_bound(done.begin(), done.end(), d.a), d.a);
    }
    unwind_backstops();
  }
  sync_marks();
  refresh_triggers();
  in_risk_stage_ = false;
}

void Exchange::liquidate(AccountId a) {
  const AccountRisk r = account_risk(a);
  Event& e = log_.emit(EventType::Liquidation, now_, -1);
  e.account = a;
  e.cash = r.equity;
  e.other_leaves = r.maintenance;
  e.code = static_cast<std::uint16_t>(risk_.mode);
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    Instrument& ins = instruments_[i];
    if (!ins.book.has_orders(a)) continue;
    MatchContext ctx = context(ins, static_cast<InstrumentId>(i), now_);
    ins.book.cancel_all(a, Reason::Liquidation, ctx);
  }
  if (!liquidatable(a)) return;  // re-check after releasing the orders
  last_liquidation_[a] = now_ > 0 ? now_ : 1;

  const bool to_vault = risk_.backstop == BackstopKind::Vault &&
                        int128{r.equity} * kPpm < int128{r.maintenance} * risk_.vault_trigger_ppm;
  Cash closed_notional = 0;
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    const auto inst = static_cast<InstrumentId>(i);
    Instrument& ins = instruments_[i];
    const Qty p = ins.pos.qty[a];
    if (p == 0) continue;
    const Price v = valuation_price(ins);
    if (to_vault) {
      closed_notional += notional(ins, p, v);
      takeover(a, inst, kBackstopVault);
      continue;
    }
    Qty qty = p > 0 ? p : -p;
    Price limit = 0;
    if (risk_.mode == LiquidationMode::IocBankruptcy) {
      const PriceFraction bp = *bankruptcy_price(a, inst);
      limit = p > 0 ? ceil_price(bp) : floor_price(bp);
    } else {
      limit = p > 0 ? scale_price(v, kPpm - risk_.market_slippage_ppm, true)
                    : scale_price(v, kPpm + risk_.market_slippage_ppm, false);
    }
    if (risk_.mode == LiquidationMode::Partial && notional(ins, p, v) > risk_.partial_threshold) {
      const Qty per_lot = v * ins.spec.cash_per_tick_lot;
      Qty slice = static_cast<Qty>((int128{qty} * risk_.partial_fraction_ppm + kPpm - 1) / kPpm);
      if (risk_.partial_min_slice > 0 && per_lot > 0)
        slice = std::max(slice, (risk_.partial_min_slice + per_lot - 1) / per_lot);
      if (risk_.partial_max_slice > 0 && per_lot > 0)
        slice = std::min(slice, std::max<Qty>(1, risk_.partial_max_slice / per_lot));
      qty = std::clamp<Qty>(slice, 1, qty);
    }
    closed_notional += close_through_book(a, inst, qty, limit);
    // Whatever the book did not take goes to the backstop (always for whole-position modes; for
    // partial slices only once the account is bankrupt).
    if (ins.pos.qty[a] != 0 &&
        (risk_.mode != LiquidationMode::Partial || account_risk(a).equity < 0)) {
      closed_notional += notional(ins, ins.pos.qty[a], valuation_price(ins));
      takeover(a, inst, risk_.backstop == BackstopKind::Vault ? kBackstopVault : kInsuranceFund);
    }
  }
  if (open_positions_[a] == 0) {
    // Surplus over bankruptcy, up to the clearance fee, goes to the insurance fund.
    const Cash surplus = ledger_.balance(a);
    const Cash fee = static_cast<Cash>((int128{closed_notional} * risk_.clearance_fee_ppm + kPpm - 1) / kPpm);
    const Cash take = std::min(std::max<Cash>(surplus, 0), fee);
    if (take > 0) {
      ledger_.transfer(a, kInsuranceFund, take);
      Event& f = log_.emit(EventType::InsuranceFund, now_, -1);
      f.account = a;
      f.cash = take;
      f.leaves = insurance_fund();
      f.code = static_cast<std::uint16_t>(Reason::ClearanceFee);
    }
  }
}

// Sends a reduce-only IOC for the account; returns the notional filled.
Cash Exchange::close_through_book(AccountId a, InstrumentId inst, Qty qty, Price limit) {
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const Side side = ins.pos.qty[a] > 0 ? Side::Sell : Side::Buy;
  const OrderId id = engine_order_id();
  Event& acc = order_event(EventType::Accept, Reason::Liquidation, inst, id, a, side, limit, qty);
  acc.code = static_cast<std::uint16_t>(Kind::Ioc);
  acc.leaves = qty;
  Taker t{id, a, side, Kind::Ioc, limit, qty, true};
  const Cash cash_before = ledger_.balance(a);
  fee_exempt_taker_ = true;
  take_and_rest(ins, inst, t, now_);
  fee_exempt_taker_ = false;
  const Cash moved = ledger_.balance(a) - cash_before;
  return moved < 0 ? -moved : moved;
}

void Exchange::takeover(AccountId a, InstrumentId inst, AccountId backstop) {
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const Qty p = ins.pos.qty[a];
  if (p == 0) return;
  const PriceFraction bp = *bankruptcy_price(a, inst);
  // Round the takeover price so the account is never left below zero.
  const Price tp = p > 0 ? ceil_price(bp) : floor_price(bp);
  const Price v = valuation_price(ins);
  // The backstop's loss against the mark, taken the moment it owns the position.
  const int128 loss = int128{p} * (tp - v) * ins.spec.cash_per_tick_lot;
  const Cash capacity = account_risk(backstop).equity;
  if (int128{capacity} - loss < 0) {
    auto_deleverage(a, inst, p > 0 ? p : -p, tp);
    return;
  }
  transfer_position(a, backstop, inst, p, tp);
  Event& e = log_.emit(EventType::Takeover, now_, inst);
  e.account = a;
  e.other_account = backstop;
  e.price = tp;
  e.qty = p > 0 ? p : -p;
  e.side = static_cast<std::int8_t>(p > 0 ? Side::Sell : Side::Buy);
  if (loss != 0) {
    Event& f = log_.emit(EventType::InsuranceFund, now_, inst);
    f.account = a;
    f.other_account = backstop;
    f.cash = static_cast<Cash>(-loss);
    f.leaves = account_risk(backstop).equity;
    f.code = static_cast<std::uint16_t>(Reason::TakeoverLoss);
  }
}

void Exchange::transfer_position(AccountId from, AccountId to, InstrumentId inst, Qty lots,
                                 Price price) {
  // `lots` is from's signed position being handed over: from sells a long to `to`, or buys
  // back a short from it. No fees on transfers.
  const Qty q = lots > 0 ? lots : -lots;
  if (lots > 0) settle(inst, to, from, price, q, from, false, false);
  else settle(inst, from, to, price, q, from, false, false);
}

void Exchange::auto_deleverage(AccountId a, InstrumentId inst, Qty qty, Price bankruptcy) {
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const Qty p = ins.pos.qty[a];
  const Side holders = p > 0 ? Side::Sell : Side::Buy;
  std::vector<AdlCandidate> cands = adl_candidates(inst, holders);
  cands.erase(std::remove_if(cands.begin(), cands.end(), [&](const AdlCandidate& c) { return c.account == a; }),
              cands.end());
  const Cash deficit = std::max<Cash>(0, -account_risk(a).equity);
  const Price price = risk_.adl_at_mark ? valuation_price(ins) : bankruptcy;
  const std::vector<AdlFill> fills =
      adl_allocate(risk_.adl_rule, std::move(cands), qty, risk_.adl_seed ^ (0x9e3779b97f4a7c15ULL * ++adl_rounds_));
  for (const AdlFill& f : fills) {
    transfer_position(a, f.account, inst, p > 0 ? f.qty : -f.qty, price);
    Event& e = log_.emit(EventType::AdlFill, now_, inst);
    e.account = a;
    e.other_account = f.account;
    e.price = price;
    e.qty = f.qty;
    e.side = static_cast<std::int8_t>(p > 0 ? Side::Sell : Side::Buy);
  }
  if (deficit > 0) {
    bad_debt_ += deficit;
    Event& e = log_.emit(EventType::BadDebt, now_, inst);
    e.account = a;
    e.cash = deficit;
  }
  if (risk_.adl_at_mark) settle_bad_debt(a, fills);
}

// After ADL at the mark the bankrupt account still owes its deficit: the insurance fund pays
// what it can, the deleveraged counterparties share the rest pro rata to the lots they closed.
void Exchange::settle_bad_debt(AccountId a, const std::vector<AdlFill>& counterparties) {
  Cash owed = -ledger_.balance(a);
  for (const Instrument& ins : instruments_)
    owed -= static_cast<Cash>(int128{ins.pos.qty[a]} * valuation_price(ins) * ins.spec.cash_per_tick_lot);
  if (owed <= 0) return;
  const Cash from_fund = std::clamp<Cash>(insurance_fund(), 0, owed);
  if (from_fund > 0) ledger_.transfer(kInsuranceFund, a, from_fund);
  owed -= from_fund;
  Qty total = 0;
  for (const AdlFill& f : counterparties) total += f.qty;
  for (std::size_t k = 0; k < counterparties.size() && owed > 0; ++k) {
    const AdlFill& f = counterparties[k];
    Cash share = static_cast<Cash>((int128{owed} * f.qty + total - 1) / total);
    if (k + 1 == counterparties.size()) share = owed;
    share = std::min(share, owed);
    ledger_.transfer(f.account, a, share);
    mark_dirty(f.account);
    owed -= share;
    total -= f.qty;
  }
}

void Exchange::unwind_backstops() {
  for (const AccountId b : {kInsuranceFund, kBackstopVault}) {
    // A backstop whose positions lost more than it holds cannot absorb the loss: its positions
    // are deleveraged at its own bankruptcy price, so it never ends a step below zero.
    if (account_risk(b).equity < 0) {
      for (std::size_t i = 0; i < instruments_.size(); ++i) {
        const Qty p = instruments_[i].pos.qty[b];
        if (p == 0) continue;
        const auto inst = static_cast<InstrumentId>(i);
        const PriceFraction bp = *bankruptcy_price(b, inst);
        auto_deleverage(b, inst, p > 0 ? p : -p, p > 0 ? ceil_price(bp) : floor_price(bp));
      }
    }
    for (std::size_t i = 0; i < instruments_.size(); ++i) {
      Instrument& ins = instruments_[i];
      const Qty p = ins.pos.qty[b];
      const Price v = valuation_price(ins);
      if (p == 0 || v == 0) continue;
      const Price limit = p > 0 ? scale_price(v, kPpm - risk_.unwind_slippage_ppm, true)
                                : scale_price(v, kPpm + risk_.unwind_slippage_ppm, false);
      close_through_book(b, static_cast<InstrumentId>(i), p > 0 ? p : -p, limit);
    }
  }
}

}  // namespace liqsim

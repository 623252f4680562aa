// Parking: accounts the liquidation throttle certainly keeps waiting are left out of the risk
// stage's listings until that could change, with the same results as listing them.
//
// A cross account with one position, found due and made to wait, is parked at the end of the
// stage when, in the current throttle window, the window's global cap already has use:
//  - it stays due for every valuation price in a range around the current one: equity minus
//    maintenance moves one way with the price (maintenance grows by at most the position's
//    value per tick, the tiers being continuous with rates <= 100%), so the range's end is
//    found by a search, kept inside the trigger key so that any full listing would list it;
//  - its notional cannot fit in the window's room (cap - use) at any price in that range. The
//    room only shrinks until the window ends.
// It leaves (wake_parked) when the valuation price leaves the range, when its instrument's
// throttle window ends or is reset (new controls), or when the account changes
// (refresh_triggers).
//
// While parked it is what a listing would find: due, waiting, never booked. The stage keeps
// what listing it would also have done. A full listing in a round in which nobody can be booked
// (every due account certainly waits: would_defer) marks the parked accounts done for the stage
// and stamps them (list_parked; written when they leave: unparked), and runs the stage another
// round when re-valuing some of them would have put them in the due list. When somebody may be
// booked, the parked accounts are listed (unparked) and the round runs as without parking: a
// booking moves the defer generation, and whether a waiting account's stamp carries the new
// generation depends on where it sorts among the booked ones.
//
// Off with partial liquidation (cooldowns make a due account skip a listing) and a per-step cap
// (the accounts after the cap in the due list are neither stamped nor marked done).
#include <algorithm>

#include "liqsim/clearing/rounding.hpp"
#include "liqsim/exchange.hpp"

namespace liqsim {

namespace {

// The largest x in [lo, hi] with due(x), given due(lo) and due true up to a point and false
// after it. Trigger keys sit a tick or two past that point, so the search gallops in from hi.
template <class Due>
Price last_true(Price lo, Price hi, const Due& due) {
  Price bad = hi + 1;  // !due(bad) or past hi
  for (Price step = 1; bad - step > lo; step *= 2) {
    if (due(bad - step)) {
      lo = bad - step;
      break;
    }
    bad -= step;
  }
  while (bad - lo > 1) {
    const Price mid = lo + (bad - lo) / 2;
    (due(mid) ? lo : bad) = mid;
  }
  return lo;
}

// The smallest x in [lo, hi] with due(x), given due(hi) and due false up to a point and true
// after it; galloping in from lo.
template <class Due>
Price first_true(Price lo, Price hi, const Due& due) {
  Price bad = lo - 1;  // !due(bad) or before lo
  for (Price step = 1; bad + step < hi; step *= 2) {
    if (due(bad + step)) {
      hi = bad + step;
      break;
    }
    bad += step;
  }
  while (hi - bad > 1) {
    const Price mid = bad + (hi - bad) / 2;
    (due(mid) ? hi : bad) = mid;
  }
  return hi;
}

}  // namespace

void Exchange::set_parking(bool on) {
  parking_ = on;
  if (on || parked_.empty()) return;
  wake_parked(true);
  refreshed_.insert(refreshed_.end(), woken_.begin(), woken_.end());
  rescan_ = true;  // the next listing is a full one, which lists them
}

bool Exchange::cross_due_at(AccountId a, const Instrument& ins, Qty p, Price v) const {
  // scope_risk of a cross account whose one position is `p` in `ins`, at valuation `v`.
  const int128 equity = int128{ledger_.balance(a)} + int128{p} * v * ins.spec.cash_per_tick_lot;
  const Cash maintenance = ins.tiers ? ins.tiers->maintenance(notional(ins, p, v)) : 0;
  return clamp_cash(equity) < maintenance;
}

void Exchange::unparked(AccountId a) {
  instruments_[static_cast<std::size_t>(parked_.instrument(a))].triggers.show(a);
  if (in_risk_stage_ && parked_listed_stage_ == risk_stage_serial_) stage_done_[a] = risk_stage_serial_;
  RiskStamp& st = risk_stamp_[a];
  if (st.epoch != 0) {  // 0: the account changed since (mark_dirty)
    const RiskStamp own = parked_.stamp(a);
    st = RiskStamp{std::max(own.epoch, parked_floor_.epoch),
                   std::max(own.deferred_gen, parked_floor_.deferred_gen)};
  }
  if (parked_.empty()) parked_floor_ = {};
}

void Exchange::wake_parked(bool all) {
  if (parked_.empty()) return;
  woken_.clear();
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    const auto inst = static_cast<InstrumentId>(i);
    if (parked_.count(inst) == 0) continue;
    const Instrument& ins = instruments_[i];
    const ControlSpec& c = ins.spec.control;
    const std::int64_t window = parked_.window(inst);
    if (all || c.liq_throttle_global <= 0 || now_ / c.liq_throttle_window_ns != window ||
        ins.throttle_window != window) {
      parked_.wake_all(inst, woken_);
    } else {
      const Price v = valuation_price(ins);
      if (v != 0) parked_.wake(inst, v, woken_);
    }
  }
  for (const AccountId a : woken_) unparked(a);
}

bool Exchange::list_parked() {
  const RiskStamp old = parked_.oldest();
  const bool revalued = std::max(old.epoch, parked_floor_.epoch) != risk_epoch_ ||
                        std::max(old.deferred_gen, parked_floor_.deferred_gen) != defer_generation_;
  parked_listed_stage_ = risk_stage_serial_;
  parked_floor_ = {risk_epoch_, defer_generation_};
  return revalued;
}

void Exchange::park_waiting(const std::vector<AccountId>& waited) {
  if (!parking_ || risk_.mode == LiquidationMode::Partial || risk_.max_per_step > 0) return;
  if (parked_.empty()) parked_floor_ = {};
  for (const AccountId a : waited) {
    if (parked_.parked(a) || dirty_[a] || in_multi_[a] || open_positions_[a] != 1) continue;
    const RiskStamp st = risk_stamp_[a];
    if (st.epoch == 0 || st.deferred_gen == 0 || st.epoch < parked_floor_.epoch ||
        st.deferred_gen < parked_floor_.deferred_gen)
      continue;
    std::size_t i = 0;
    while (i < instruments_.size() &&
           (is_isolated(a, static_cast<InstrumentId>(i)) || instruments_[i].pos.qty[a] == 0))
      ++i;
    if (i == instruments_.size()) continue;
    const auto inst = static_cast<InstrumentId>(i);
    Instrument& ins = instruments_[i];
    const ControlSpec& c = ins.spec.control;
    const Price v = valuation_price(ins);
    if (c.liq_throttle_global <= 0 || v <= 0 || !ins.tiers) continue;
    // The throttle as liquidation_deferred applies it: this window's use, its global cap.
    if (now_ / c.liq_throttle_window_ns != ins.throttle_window || ins.throttle_used <= 0) continue;
    if (parked_.count(inst) != 0 && parked_.window(inst) != ins.throttle_window) continue;
    const Qty p = ins.pos.qty[a];
    const int128 per_tick = int128{absval(p)} * ins.spec.cash_per_tick_lot;
    const int128 room = int128{c.liq_throttle_global} - ins.throttle_used;
    // Waits while p's notional exceeds the room: at every price from `lo` up.
    const int128 lo128 = room < 0 ? 1 : room / per_tick + 1;
    if (lo128 > v || !cross_due_at(a, ins, p, v)) continue;
    Price lo = static_cast<Price>(lo128), hi = kMaxPrice;
    const Price key = ins.triggers.key(a);
    if (ins.triggers.side(a) != (p > 0 ? 1 : -1)) continue;
    auto due = [&](Price x) { return cross_due_at(a, ins, p, x); };
    if (p > 0) {
      // Due at and below the largest due price in [v, key] (equity must not saturate there).
      if (key < v || int128{ledger_.balance(a)} + per_tick * key >= (int128{1} << 62)) continue;
      hi = last_true(v, key, due);
    } else {
      // Due at and above the smallest due price in [key, v] (prices >= 1).
      if (key > v) continue;
      const Price first = std::max<Price>(key, 1);
      lo = std::max(lo, first_true(first, v, due));
    }
    ins.triggers.hide(a);
    parked_.park(a, inst, lo, hi, st, ins.throttle_window);
  }
}

}  // namespace liqsim

// Parking: accounts the liquidation throttle certainly keeps waiting are left out of the risk
// stage's listings until that could change, with the same results as listing them.
//
// A cross account with one position, found due and made to wait by the throttle's global cap,
// is parked at the end of the stage when
//  - it stays due for every valuation price in a range around the current one: equity minus
//    maintenance moves one way with the price (maintenance grows by at most the position's
//    value per tick, the tiers being continuous with rates <= 100%), so a bisection finds the
//    range's end, kept inside the trigger key so every full listing would still list it;
//  - and the window's room (cap - used) cannot take its notional at any price in that range.
// It leaves (wake_parked) when the valuation price leaves the range, when the defer generation
// moves (a liquidation booked, a new window, a halt or reopening, new controls: the room may
// have grown), or when the account changes (refresh_triggers).
//
// While parked it is what a listing would have found: due, waiting, never booked. What a listing
// would also have done is kept: the first full listing of a stage marks every parked account
// done for that stage and stamps it at the current epoch (list_parked, applied when it leaves:
// unparked), and re-valuing it there would have put it in the due list, which runs the stage
// another round (list_parked's answer).
//
// Off with partial liquidation (cooldowns make a due account skip a listing) and a per-step cap
// (the accounts after the cap in the due list are neither stamped nor marked done).
#include <algorithm>

#include "liqsim/clearing/rounding.hpp"
#include "liqsim/exchange.hpp"

namespace liqsim {

void Exchange::set_parking(bool on) {
  parking_ = on;
  if (!on) wake_parked(true);  // back in the trigger sets, with the standing listings gave them
}

bool Exchange::cross_due_at(AccountId a, const Instrument& ins, Qty p, Price v) const {
  // scope_risk of a cross account whose one position is `p` in `ins`, at valuation `v`.
  const int128 equity = int128{ledger_.balance(a)} + int128{p} * v * ins.spec.cash_per_tick_lot;
  const Cash maintenance = ins.tiers ? ins.tiers->maintenance(notional(ins, p, v)) : 0;
  return clamp_cash(equity) < maintenance;
}

void Exchange::unparked(AccountId a, InstrumentId inst, std::uint64_t stamp_epoch) {
  instruments_[static_cast<std::size_t>(inst)].triggers.show(a);
  if (in_risk_stage_ && parked_listed_stage_ == risk_stage_serial_) stage_done_[a] = risk_stage_serial_;
  RiskStamp& st = risk_stamp_[a];
  if (st.epoch != 0) st.epoch = std::max(stamp_epoch, parked_stamp_floor_);  // 0: changed since
  if (parked_.empty()) parked_stamp_floor_ = 0;
}

void Exchange::wake_parked(bool all) {
  if (parked_.empty()) return;
  woken_.clear();
  if (all || defer_generation_ != parked_gen_) {
    parked_.wake_all(woken_);
  } else {
    for (std::size_t i = 0; i < instruments_.size(); ++i) {
      const Price v = valuation_price(instruments_[i]);
      if (v != 0) parked_.wake(static_cast<InstrumentId>(i), v, woken_);
    }
  }
  for (const AccountId a : woken_) {
    unparked(a, parked_.instrument(a), parked_.stamp_epoch(a));
    refreshed_.push_back(a);  // listed by an incremental listing too
  }
}

bool Exchange::list_parked() {
  if (parked_.empty()) return false;
  if (parked_listed_stage_ == risk_stage_serial_) {
    rescan_ = true;  // listed, they would be skipped as done this stage, which asks for this
    return false;
  }
  const std::uint64_t stamped = std::max(parked_.min_stamp_epoch(), parked_stamp_floor_);
  parked_listed_stage_ = risk_stage_serial_;
  parked_stamp_floor_ = risk_epoch_;
  return stamped != risk_epoch_;  // some would be re-valued (found due, waiting)
}

void Exchange::park_waiting(const std::vector<AccountId>& waited) {
  if (!parked_.empty() && defer_generation_ != parked_gen_) wake_parked();  // all leave
  if (!parking_ || risk_.mode == LiquidationMode::Partial || risk_.max_per_step > 0) return;
  if (parked_.empty()) parked_stamp_floor_ = 0;
  parked_gen_ = defer_generation_;
  for (const AccountId a : waited) {
    if (parked_.parked(a) || dirty_[a] || in_multi_[a] || open_positions_[a] != 1) continue;
    const RiskStamp st = risk_stamp_[a];
    if (st.epoch == 0 || st.deferred_gen != defer_generation_ || st.epoch < parked_stamp_floor_) continue;
    std::size_t i = 0;
    while (i < instruments_.size() &&
           (is_isolated(a, static_cast<InstrumentId>(i)) || instruments_[i].pos.qty[a] == 0))
      ++i;
    if (i == instruments_.size()) continue;
    Instrument& ins = instruments_[i];
    const ControlSpec& c = ins.spec.control;
    const Price v = valuation_price(ins);
    if (c.liq_throttle_global <= 0 || v <= 0 || !ins.tiers) continue;
    // The throttle as liquidation_deferred applies it: this window's use, its global cap.
    if (now_ / c.liq_throttle_window_ns != ins.throttle_window || ins.throttle_used <= 0) continue;
    const Qty p = ins.pos.qty[a];
    const int128 per_tick = int128{absval(p)} * ins.spec.cash_per_tick_lot;
    const int128 room = int128{c.liq_throttle_global} - ins.throttle_used;
    // Waits while p's notional exceeds the room: at every price from `lo` up.
    const int128 lo128 = room < 0 ? 1 : room / per_tick + 1;
    if (lo128 > v || !cross_due_at(a, ins, p, v)) continue;
    Price lo = static_cast<Price>(lo128), hi = kMaxPrice;
    const Price key = ins.triggers.key(a);
    if (ins.triggers.side(a) != (p > 0 ? 1 : -1)) continue;
    if (p > 0) {
      // Due at and below the largest due price in [v, key]; equity must not saturate there.
      if (key < v || int128{ledger_.balance(a)} + per_tick * key >= (int128{1} << 62)) continue;
      Price good = v, bad = key + 1;  // due(good), !due(bad) or past the key
      while (bad - good > 1) {
        const Price mid = good + (bad - good) / 2;
        (cross_due_at(a, ins, p, mid) ? good : bad) = mid;
      }
      hi = good;
    } else {
      // Due at and above the smallest due price in [key, v].
      if (key > v) continue;
      Price good = v, bad = key - 1;
      while (good - bad > 1) {
        const Price mid = bad + (good - bad) / 2;
        (cross_due_at(a, ins, p, mid) ? good : bad) = mid;
      }
      lo = std::max(lo, good);
    }
    ins.triggers.hide(a);
    parked_.park(a, static_cast<InstrumentId>(i), lo, hi, st.epoch);
  }
}

}  // namespace liqsim

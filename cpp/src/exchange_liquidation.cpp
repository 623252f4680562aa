// The risk stage run after every command: find accounts below maintenance margin (through the
// trigger index), liquidate them most-underwater first, hand unfilled rests to the backstop,
// deleverage opposite positions when the backstop cannot absorb the loss, and let the
// backstop unwind what it holds through the book.
#include <algorithm>
#include <limits>
#include <set>

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
  struct Leave {  // also when something below throws
    Exchange& ex;
    ~Leave() {
      ex.in_risk_stage_ = false;
      // Accounts shown again during the stage go back into the trigger index's sorted sets.
      for (Instrument& ins : ex.instruments_) ins.triggers.flush();
    }
  } leave{*this};
  using Scoped = std::pair<AccountId, InstrumentId>;  // account, margin scope (-1: cross)
  std::vector<Scoped> cands;
  // Each scope is liquidated at most once per stage (or waits): cross scopes are marked in
  // stage_done_ (this stage's serial), isolated ones (rare) in a set. Throttled cascades keep
  // thousands of accounts waiting, checked after every command: no allocation per account.
  const std::uint64_t stage = ++risk_stage_serial_;
  std::set<Scoped> done_isolated;
  auto is_done = [&](const Scoped& c) {
    return c.second < 0 ? stage_done_[c.first] == stage : done_isolated.count(c) != 0;
  };
  auto set_done = [&](const Scoped& c) {
    if (c.second < 0) stage_done_[c.first] = stage;
    else done_isolated.insert(c);
  };
  waited_.clear();
  std::int64_t quota = risk_.max_per_step > 0 ? risk_.max_per_step : std::numeric_limits<std::int64_t>::max();
  std::vector<AccountId> hits;
  for (Instrument& ins : instruments_) {  // a new throttle window may let waiting ones go
    const ControlSpec& c = ins.spec.control;
    if (c.liq_throttle_global <= 0 && c.liq_throttle_account <= 0) continue;
    const std::int64_t window = now_ / c.liq_throttle_window_ns;
    if (window != ins.defer_window) {
      ins.defer_window = window;
      ++defer_generation_;
    }
  }
  int round = 0;
  for (; round < 1000 && quota > 0; ++round) {
    sync_marks();
    refresh_triggers();
    wake_parked();
    // Candidates, each scope once (a cross account can be hit in several instruments). Their
    // order does not matter: what is due is sorted below, and checking has no side effects
    // beyond each account's own stamp.
    cands.clear();
    const std::uint64_t listed = ++risk_round_serial_;
    auto add_cand = [&](AccountId a, InstrumentId scope) {
      if (scope >= 0) {
        cands.emplace_back(a, scope);  // one trigger entry per account and instrument
      } else if (cand_listed_[a] != listed) {
        cand_listed_[a] = listed;
        cands.emplace_back(a, -1);
      }
    };
    // Every account's outcome (above maintenance, no position, waits, due) holds until a
    // valuation price moves (risk_epoch_), something that decides the waiting changes
    // (defer_generation_) or the account itself changes (refresh_triggers lists it). So when
    // neither counter moved since the last listing, only the accounts changed since then are
    // listed; the others (thousands waiting in a throttled cascade) stand as they were.
    // Outcomes that can change with time alone (a partial-liquidation cooldown) or that were
    // left undecided (already done earlier in the stage, the per-step quota ran out) force a
    // full listing at the next stage (rescan_).
    const bool incremental = !rescan_ && risk_epoch_ == scan_epoch_ && defer_generation_ == scan_gen_;
    rescan_ = false;
    scan_epoch_ = risk_epoch_;
    scan_gen_ = defer_generation_;
    if (incremental) {
      std::sort(refreshed_.begin(), refreshed_.end());
      refreshed_.erase(std::unique(refreshed_.begin(), refreshed_.end()), refreshed_.end());
      for (const AccountId a : refreshed_) {
        for (std::size_t i = 0; i < instruments_.size(); ++i) {
          const Instrument& ins = instruments_[i];
          const Price v = valuation_price(ins);
          if (v != 0 && ins.triggers.hit(a, v)) add_cand(a, scope_of(a, static_cast<InstrumentId>(i)));
        }
        if (in_multi_[a]) add_cand(a, -1);
      }
    } else {
      for (std::size_t i = 0; i < instruments_.size(); ++i) {
        const Instrument& ins = instruments_[i];
        const Price v = valuation_price(ins);
        if (v == 0) continue;
        hits.clear();
        ins.triggers.candidates(v, hits);
        for (const AccountId a : hits) add_cand(a, scope_of(a, static_cast<InstrumentId>(i)));
      }
      multi_.erase(std::remove_if(multi_.begin(), multi_.end(), [&](AccountId a) { return !in_multi_[a]; }),
                   multi_.end());
      for (const AccountId a : multi_) add_cand(a, -1);
    }
    refreshed_.clear();

    struct Due {
      Scoped who;
      Cash equity, maintenance;
    };
    std::vector<Due> due;
    auto consider = [&](const Scoped& c) {
      const bool cross = c.second < 0;
      if (is_done(c)) {  // not re-checked now; the next stage must see it again
        rescan_ = true;
        return;
      }
      if (cross && risk_stamp_[c.first].epoch == risk_epoch_) {
        const std::uint64_t gen = risk_stamp_[c.first].deferred_gen;
        if (gen == 0) return;  // unchanged since found above maintenance
        if (gen == defer_generation_) {  // unchanged since it was made to wait: waits again
          set_done(c);
          waited_.push_back(c.first);
          return;
        }
      }
      if (!has_position(c.first, c.second)) return;
      const Standing r = standing(c.first, c.second);
      if (r.equity >= r.maintenance) {
        if (cross) risk_stamp_[c.first] = RiskStamp{risk_epoch_, 0};
        return;
      }
      // last_liquidation_ holds the time + 1 (0 = never), so a slice at ts 0 is told apart.
      if (risk_.mode == LiquidationMode::Partial && r.equity >= 0 && last_liquidation_[c.first] > 0 &&
          now_ - (last_liquidation_[c.first] - 1) < risk_.partial_cooldown_ns) {
        rescan_ = true;  // due again when the cooldown ends, with nothing else changed
        return;
      }
      due.push_back({c, r.equity, r.maintenance});
    };
    for (const Scoped& c : cands) consider(c);
    // Parked accounts (exchange_parking.cpp) stand in for listing them when nobody can be
    // booked this round; otherwise they are listed like the rest.
    bool parked_due = false;  // listing them would have put some in the due list
    if (!incremental && !parked_.empty()) {
      if (parked_listed_stage_ == stage) {
        rescan_ = true;  // listed, they would be skipped: done earlier this stage
      } else if (std::any_of(due.begin(), due.end(),
                             [&](const Due& d) { return !would_defer(d.who.first, d.who.second); })) {
        wake_parked(true);
        for (const AccountId a : woken_) consider({a, -1});
      } else {
        parked_due = list_parked();
      }
    }
    // Most underwater first: lowest equity / maintenance, then account id.
    std::sort(due.begin(), due.end(), [](const Due& x, const Due& y) {
      const int128 lhs = int128{x.equity} * y.maintenance, rhs = int128{y.equity} * x.maintenance;
      return lhs != rhs ? lhs < rhs : x.who < y.who;
    });
    for (const Due& d : due) {
      if (quota <= 0) break;  // before the throttle books this liquidation's notional
      if (liquidation_deferred(d.who.first, d.who.second)) {
        set_done(d.who);  // waits
        if (d.who.second < 0) {
          risk_stamp_[d.who.first] = RiskStamp{risk_epoch_, defer_generation_};
          waited_.push_back(d.who.first);
        }
        continue;
      }
      ++defer_generation_;  // the throttle has booked this one: others' waiting may change
      --quota;
      liquidate(d.who.first, d.who.second);
      set_done(d.who);
    }
    // The backstops act every round, also when nobody was due: a mark move alone can push the
    // fund below zero, and its unwinding trades can trigger others. With nobody due and no
    // unwinding nothing changed, so another round would find the same (accounts that still
    // wait are done for this stage).
    if (!unwind_backstops() && due.empty() && !parked_due) break;
  }
  if (quota <= 0 || round == 1000) rescan_ = true;  // some due accounts may not have been seen
  cover_flat_deficits();
  sync_marks();
  refresh_triggers();
  park_waiting(waited_);
}

void Exchange::liquidate(AccountId a, InstrumentId scope) {
  const Standing r = standing(a, scope);
  Event& e = log_.emit(EventType::Liquidation, now_, scope);
  e.account = a;
  e.cash = r.equity;
  e.other_leaves = r.maintenance;
  e.code = static_cast<std::uint16_t>(risk_.mode);
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    Instrument& ins = instruments_[i];
    if (!in_scope(a, i, scope) || !ins.book.has_orders(a)) continue;
    MatchContext ctx = context(ins, static_cast<InstrumentId>(i), now_);
    ins.book.cancel_all(a, Reason::Liquidation, ctx);
  }
  {  // re-check after releasing the orders
    const Standing now = standing(a, scope);
    if (!has_position(a, scope) || now.equity >= now.maintenance) return;
  }
  last_liquidation_[a] = now_ + 1;

  const bool to_vault = risk_.backstop == BackstopKind::Vault &&
                        int128{r.equity} * kPpm < int128{r.maintenance} * risk_.vault_trigger_ppm;
  Cash closed_notional = 0;
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    if (!in_scope(a, i, scope)) continue;
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
    // Never trade beyond the bankruptcy price: what the book cannot take there goes to the
    // backstop, so the account never ends below zero. Market and partial modes also stop at
    // the slippage band around the mark.
    const PriceFraction bp = *bankruptcy_price(a, inst);
    Price limit = p > 0 ? ceil_price(bp) : floor_price(bp);
    if (risk_.mode != LiquidationMode::IocBankruptcy) {
      limit = p > 0 ? std::max(limit, scale_price(v, kPpm - risk_.market_slippage_ppm, true))
                    : std::min(limit, scale_price(v, kPpm + risk_.market_slippage_ppm, false));
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
    // partial slices only once the scope is bankrupt).
    if (ins.pos.qty[a] != 0 &&
        (risk_.mode != LiquidationMode::Partial || standing(a, scope).equity < 0)) {
      closed_notional += notional(ins, ins.pos.qty[a], valuation_price(ins));
      takeover(a, inst, risk_.backstop == BackstopKind::Vault ? kBackstopVault : kInsuranceFund);
    }
  }
  if (!has_position(a, scope)) {
    // Surplus over bankruptcy, up to the clearance fee, goes to the insurance fund.
    Cash& bucket = scope < 0 ? ledger_.cash(a) : instruments_[static_cast<std::size_t>(scope)].iso_cash[a];
    const Cash fee = static_cast<Cash>((int128{closed_notional} * risk_.clearance_fee_ppm + kPpm - 1) / kPpm);
    const Cash take = std::min(std::max<Cash>(bucket, 0), fee);
    if (take > 0) {
      bucket -= take;
      ledger_.cash(kInsuranceFund) += take;
      Event& f = log_.emit(EventType::InsuranceFund, now_, scope);
      f.account = a;
      f.cash = take;
      f.leaves = insurance_fund();
      f.code = static_cast<std::uint16_t>(Reason::ClearanceFee);
    }
  }
}

// Sends a reduce-only IOC for the account; returns the notional filled.
Cash Exchange::close_through_book(AccountId a, InstrumentId inst, Qty qty, Price limit, Reason tag) {
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const Side side = ins.pos.qty[a] > 0 ? Side::Sell : Side::Buy;
  const OrderId id = engine_order_id();
  Event& acc = order_event(EventType::Accept, tag, inst, id, a, side, limit, qty);
  acc.code = static_cast<std::uint16_t>(Kind::Ioc);
  acc.leaves = qty;
  Taker t{id, a, side, Kind::Ioc, limit, qty, true};
  const Cash cash_before = cash_of(a, inst);
  fee_exempt_taker_ = true;
  const std::size_t first_event = log_.size();
  take_and_rest(ins, inst, t, now_);
  fee_exempt_taker_ = false;
  log_.tag_fills(first_event, id, tag);  // forced-close fills are told apart
  const Cash moved = cash_of(a, inst) - cash_before;
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
  const Cash capacity = standing(backstop, -1).equity;
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
    f.leaves = standing(backstop, -1).equity;
    f.code = static_cast<std::uint16_t>(Reason::TakeoverLoss);
  }
}

void Exchange::transfer_position(AccountId from, AccountId to, InstrumentId inst, Qty lots,
                                 Price price) {
  // `lots` is from's signed position being handed over: from sells a long to `to`, or buys
  // back a short from it. No fees on transfers.
  const Qty q = lots > 0 ? lots : -lots;
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  if (lots > 0) settle(ins, inst, to, from, price, q, nullptr);
  else settle(ins, inst, from, to, price, q, nullptr);
}

void Exchange::auto_deleverage(AccountId a, InstrumentId inst, Qty qty, Price bankruptcy) {
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const Qty p = ins.pos.qty[a];
  const Side holders = p > 0 ? Side::Sell : Side::Buy;
  const std::map<AccountId, AdlCandidate>& cached = cached_adl_candidates(inst, holders);
  const Cash deficit = std::max<Cash>(0, -standing(a, scope_of(a, inst)).equity);
  const Price price = risk_.adl_at_mark ? valuation_price(ins) : bankruptcy;
  // Traders are deleveraged by the rule; the exchange's own backstops only when traders do not
  // hold enough of the opposite side.
  std::vector<AdlCandidate> backstops;  // system accounts come first (negative ids)
  for (const auto& [id, c] : cached) {
    if (!is_system(id)) break;
    if (id != a) backstops.push_back(c);
  }
  const std::uint64_t round_seed = risk_.adl_seed ^ (0x9e3779b97f4a7c15ULL * ++adl_rounds_);
  std::vector<AdlFill> fills;
  if (AdlQueue::supports(risk_.adl_rule)) {
    fills = adl_cache_.queue.take(qty, a);  // the ranked queue, kept across rounds
  } else {
    std::vector<AdlCandidate> cands;
    cands.reserve(cached.size());
    for (const auto& [id, c] : cached)
      if (!is_system(id) && id != a) cands.push_back(c);
    fills = adl_allocate(risk_.adl_rule, std::move(cands), qty, round_seed);
  }
  Qty covered = 0;
  for (const AdlFill& f : fills) covered += f.qty;
  if (covered < qty && !backstops.empty())
    for (const AdlFill& f : adl_allocate(AdlRule::ProRata, std::move(backstops), qty - covered, 0))
      fills.push_back(f);
  for (const AdlFill& f : fills) {
    const Cash realized_before = ins.pos.realized[f.account];
    transfer_position(a, f.account, inst, p > 0 ? f.qty : -f.qty, price);
    Event& e = log_.emit(EventType::AdlFill, now_, inst);
    e.cash = ins.pos.realized[f.account] - realized_before;  // counterparty's profit closed
    e.account = a;
    e.other_account = f.account;
    e.price = price;
    e.qty = f.qty;
    e.side = static_cast<std::int8_t>(p > 0 ? Side::Sell : Side::Buy);
  }
  if (deficit > 0) {
    Event& e = log_.emit(EventType::BadDebt, now_, inst);
    e.account = a;
    e.cash = deficit;
    // The part the ADL closes covered through their price (at the bankruptcy price: the
    // account's equity rose back toward zero; at the mark: nothing, shares follow as SOCIALIZED).
    const Cash after = standing(a, scope_of(a, inst)).equity;
    const Cash covered_by_adl = std::clamp<Cash>(after + deficit, 0, deficit);
    e.other_leaves = covered_by_adl;
    bad_debt_ += covered_by_adl;  // bad debt: a loss the fund did not pay
  }
  if (risk_.adl_at_mark) settle_bad_debt(a, inst, fills);
}

// After ADL at the mark the bankrupt account still owes its deficit: the insurance fund pays
// what it can, the deleveraged counterparties share the rest pro rata to the lots they closed.
void Exchange::settle_bad_debt(AccountId a, InstrumentId inst,
                               const std::vector<AdlFill>& counterparties) {
  Cash owed = -standing(a, scope_of(a, inst)).equity;
  if (owed <= 0) return;
  const Cash from_fund = std::clamp<Cash>(insurance_fund(), 0, owed);
  if (from_fund > 0) {
    ledger_.cash(kInsuranceFund) -= from_fund;
    cash_of(a, inst) += from_fund;
  }
  owed -= from_fund;
  Qty total = 0;
  for (const AdlFill& f : counterparties) total += f.qty;
  for (std::size_t k = 0; k < counterparties.size() && owed > 0; ++k) {
    const AdlFill& f = counterparties[k];
    Cash share = static_cast<Cash>((int128{owed} * f.qty + total - 1) / total);
    if (k + 1 == counterparties.size()) share = owed;
    // Nobody pays more than the equity it has: sharing a loss must not bankrupt anyone.
    const Cash can_pay = std::max<Cash>(0, standing(f.account, scope_of(f.account, inst)).equity);
    share = std::min({share, owed, can_pay});
    if (share == 0) {
      total -= f.qty;
      continue;
    }
    cash_of(f.account, inst) -= share;
    cash_of(a, inst) += share;
    mark_dirty(f.account);
    owed -= share;
    bad_debt_ += share;
    total -= f.qty;
    Event& e = log_.emit(EventType::BadDebt, now_, inst);  // the counterparty's share
    e.account = a;
    e.other_account = f.account;
    e.cash = share;
    e.code = static_cast<std::uint16_t>(Reason::Socialized);
  }
  // Whatever the counterparties could not pay is covered like any trader's deficit: by the
  // fund, then socialized over everyone with equity (end of the risk stage).
  if (owed > 0) flat_deficits_.emplace_back(a, scope_of(a, inst));
}

// Traders who closed out below zero: the insurance fund pays the deficit as far as it can; the
// rest becomes the fund's own deficit, which is socialized.
void Exchange::cover_flat_deficits() {
  std::vector<std::pair<AccountId, InstrumentId>> owed;
  owed.swap(flat_deficits_);
  for (const auto& [a, scope] : owed) {
    if (has_position(a, scope)) continue;
    Cash& bucket = scope < 0 ? ledger_.cash(a) : instruments_[static_cast<std::size_t>(scope)].iso_cash[a];
    if (bucket >= 0) continue;
    const Cash deficit = -bucket;
    bucket = 0;
    ledger_.cash(kInsuranceFund) -= deficit;  // paid by the fund: not bad debt
    Event& e = log_.emit(EventType::BadDebt, now_, scope);
    e.account = a;
    e.other_account = kInsuranceFund;
    e.cash = deficit;
    mark_dirty(a);
  }
  if (!owed.empty() && standing(kInsuranceFund, -1).equity < 0) socialize(kInsuranceFund);
}

// Last resort: a backstop below zero with nothing left to deleverage has its deficit shared by
// the traders with positive equity, pro rata to it (a socialized loss).
void Exchange::socialize(AccountId b) {
  Cash owed = -standing(b, -1).equity;
  std::vector<std::pair<AccountId, Cash>> payers;
  int128 total = 0;
  for (AccountId a = 0; a < static_cast<AccountId>(num_accounts_); ++a) {
    const Cash e = standing(a, -1).equity;
    if (e > 0) {
      payers.emplace_back(a, e);
      total += e;
    }
  }
  if (total == 0) return;
  owed = static_cast<Cash>(std::min<int128>(owed, total));
  for (std::size_t k = 0; k < payers.size() && owed > 0; ++k) {
    const auto [a, e] = payers[k];
    Cash share = static_cast<Cash>((int128{owed} * e + total - 1) / total);
    share = std::min({share, owed, e});
    ledger_.cash(a) -= share;
    ledger_.cash(b) += share;
    owed -= share;
    total -= e;
    bad_debt_ += share;
    mark_dirty(a);
    Event& ev = log_.emit(EventType::BadDebt, now_, -1);
    ev.account = b;
    ev.other_account = a;
    ev.cash = share;
    ev.code = static_cast<std::uint16_t>(Reason::Socialized);
  }
}

// Returns true if anything changed hands (deleveraging or unwinding fills).
bool Exchange::unwind_backstops() {
  bool changed = false;
  for (const AccountId b : {kInsuranceFund, kBackstopVault}) {
    // A backstop whose positions lost more than it holds cannot absorb the loss: its positions
    // are deleveraged at its own bankruptcy price, so it never ends a step below zero.
    if (standing(b, -1).equity < 0) {
      for (std::size_t i = 0; i < instruments_.size(); ++i) {
        const Qty p = instruments_[i].pos.qty[b];
        if (p == 0) continue;
        const auto inst = static_cast<InstrumentId>(i);
        const PriceFraction bp = *bankruptcy_price(b, inst);
        auto_deleverage(b, inst, p > 0 ? p : -p, p > 0 ? ceil_price(bp) : floor_price(bp));
        changed = true;
      }
    }
    if (standing(b, -1).equity < 0) socialize(b);
    // Unwind through the book at most once per interval (each try is an IOC in the log).
    if (last_unwind_[b == kInsuranceFund ? 0 : 1] + risk_.unwind_interval_ns > now_ &&
        last_unwind_[b == kInsuranceFund ? 0 : 1] >= 0)
      continue;
    bool tried = false;
    for (std::size_t i = 0; i < instruments_.size(); ++i) {
      Instrument& ins = instruments_[i];
      const Qty p = ins.pos.qty[b];
      const Price v = valuation_price(ins);
      if (p == 0 || v == 0 || halted(ins)) continue;
      // Within the slippage band, and never beyond the backstop's own bankruptcy price: its
      // unwinding may lose what it holds, not more.
      const PriceFraction bp = *bankruptcy_price(b, static_cast<InstrumentId>(i));
      const Price limit = p > 0 ? std::max(scale_price(v, kPpm - risk_.unwind_slippage_ppm, true), ceil_price(bp))
                                : std::min(scale_price(v, kPpm + risk_.unwind_slippage_ppm, false), floor_price(bp));
      tried = true;
      if (close_through_book(b, static_cast<InstrumentId>(i), p > 0 ? p : -p, limit,
                             Reason::BackstopUnwind) > 0)
        changed = true;
    }
    if (tried) last_unwind_[b == kInsuranceFund ? 0 : 1] = now_;
  }
  return changed;
}

}  // namespace liqsim

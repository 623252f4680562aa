// Valuation, margin, liquidation and bankruptcy prices, the initial-margin pre-check and the
// liquidation trigger index upkeep.
#include <algorithm>
#include <limits>

#include "liqsim/clearing/rounding.hpp"
#include "liqsim/exchange.hpp"

namespace liqsim {

Price Exchange::valuation_price(const Instrument& ins) const {
  if (ins.mark) return *ins.mark;
  if (ins.last) return *ins.last;
  return 0;
}

Cash Exchange::notional(const Instrument& ins, Qty lots, Price price) const {
  return clamp_cash(int128{absval(lots)} * price * ins.spec.cash_per_tick_lot);
}

std::optional<Price> Exchange::mark(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].mark;
}

std::optional<Price> Exchange::index(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].index;
}

std::optional<Price> Exchange::last_trade(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].last;
}

const MarginTiers* Exchange::tiers(InstrumentId inst) const {
  check_instrument(inst);
  const auto& t = instruments_[static_cast<std::size_t>(inst)].tiers;
  return t ? &*t : nullptr;
}

bool Exchange::is_isolated(AccountId a, InstrumentId inst) const {
  return a >= 0 && instruments_[static_cast<std::size_t>(inst)].isolated[a] != 0;
}

AccountRisk Exchange::account_risk(AccountId a) const {
  check_account_or_system(a);
  return scope_risk(a, -1);
}

Standing Exchange::standing(AccountId a, InstrumentId scope) const {
  int128 equity = scope < 0 ? ledger_.balance(a) : instruments_[static_cast<std::size_t>(scope)].iso_cash[a];
  Cash maintenance = 0;
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    if (!in_scope(a, i, scope)) continue;
    const Instrument& ins = instruments_[i];
    const Qty p = ins.pos.qty[a];
    if (p == 0) continue;
    const Price v = valuation_price(ins);
    equity += int128{p} * v * ins.spec.cash_per_tick_lot;
    if (ins.tiers) maintenance += ins.tiers->maintenance(notional(ins, p, v));
  }
  return Standing{clamp_cash(equity), maintenance};
}

AccountRisk Exchange::scope_risk(AccountId a, InstrumentId scope) const {
  AccountRisk r{};
  r.cash = scope < 0 ? ledger_.balance(a) : instruments_[static_cast<std::size_t>(scope)].iso_cash[a];
  const Standing s = standing(a, scope);
  r.equity = s.equity;
  r.maintenance = s.maintenance;
  int128 upnl = 0, wallet = r.cash;
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    if (!in_scope(a, i, scope)) continue;
    const Instrument& ins = instruments_[i];
    const Qty p = ins.pos.qty[a];
    const Price v = valuation_price(ins);
    if (p != 0) {
      upnl += int128{p} * v * ins.spec.cash_per_tick_lot - ins.pos.basis[a];
      wallet += ins.pos.basis[a];
    }
    const Qty worst = std::max(absval(p + ins.book.open_qty(a, Side::Buy)),
                               absval(p - ins.book.open_qty(a, Side::Sell)));
    if (worst != 0 && ins.tiers) r.initial += ins.tiers->initial(notional(ins, worst, v));
  }
  r.upnl = clamp_cash(upnl);
  r.wallet = clamp_cash(wallet);
  return r;
}

bool Exchange::has_position(AccountId a, InstrumentId scope) const {
  if (scope >= 0) return instruments_[static_cast<std::size_t>(scope)].pos.qty[a] != 0;
  return open_positions_[a] != 0;
}

bool Exchange::liquidatable(AccountId a) const {
  if (!risk_.enabled || is_system(a)) return false;
  check_account(a);
  auto below = [&](InstrumentId scope) {
    if (!has_position(a, scope)) return false;
    const Standing r = standing(a, scope);
    return r.equity < r.maintenance;
  };
  if (below(-1)) return true;
  for (std::size_t i = 0; i < instruments_.size(); ++i)
    if (is_isolated(a, static_cast<InstrumentId>(i)) && below(static_cast<InstrumentId>(i))) return true;
  return false;
}

Cash Exchange::insurance_fund() const { return standing(kInsuranceFund, -1).equity; }

std::optional<PriceFraction> Exchange::bankruptcy_price(AccountId a, InstrumentId inst) const {
  check_instrument(inst);
  check_account_or_system(a);
  const Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const Qty p = ins.pos.qty[a];
  if (p == 0) return std::nullopt;
  // Equity with every other position of the same margin scope at its mark:
  // cash + others = -p x price x c at zero equity.
  const InstrumentId scope = scope_of(a, inst);
  int128 rest = scope < 0 ? ledger_.balance(a) : ins.iso_cash[a];
  for (std::size_t j = 0; j < instruments_.size(); ++j) {
    if (static_cast<InstrumentId>(j) == inst || !in_scope(a, j, scope)) continue;
    const Instrument& o = instruments_[j];
    rest += int128{o.pos.qty[a]} * valuation_price(o) * o.spec.cash_per_tick_lot;
  }
  const int128 den = int128{absval(p)} * ins.spec.cash_per_tick_lot;
  return PriceFraction{p > 0 ? -rest : rest, den};
}

// Binance one-way cross formula solved per bracket, re-solved if the price lands in another
// bracket: equity(P) = maintenance(P), with the other positions held at their marks.
std::optional<PriceFraction> Exchange::liquidation_price(AccountId a, InstrumentId inst) const {
  check_instrument(inst);
  check_account_or_system(a);
  const Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const Qty p = ins.pos.qty[a];
  if (p == 0 || !ins.tiers) return std::nullopt;
  const InstrumentId scope = scope_of(a, inst);
  // cash + others' value - others' maintenance, within the position's margin scope
  int128 rest = scope < 0 ? ledger_.balance(a) : ins.iso_cash[a];
  for (std::size_t j = 0; j < instruments_.size(); ++j) {
    if (static_cast<InstrumentId>(j) == inst || !in_scope(a, j, scope)) continue;
    const Instrument& o = instruments_[j];
    const Qty q = o.pos.qty[a];
    if (q == 0) continue;
    const Price v = valuation_price(o);
    rest += int128{q} * v * o.spec.cash_per_tick_lot;
    if (o.tiers) rest -= o.tiers->maintenance(notional(o, q, v));
  }
  const int128 size = int128{absval(p)} * ins.spec.cash_per_tick_lot;
  const Tier* tier = &ins.tiers->tier_for(notional(ins, p, valuation_price(ins)));
  PriceFraction lp{0, 1};
  for (std::size_t iter = 0; iter <= ins.tiers->tiers().size(); ++iter) {
    if (p > 0) {
      lp = {(-rest - tier->cum) * kPpm, size * (kPpm - tier->mmr_ppm)};
      if (lp.den <= 0) return std::nullopt;  // 100% maintenance: always liquidatable
    } else {
      lp = {(rest + tier->cum) * kPpm, size * (kPpm + tier->mmr_ppm)};
    }
    if (lp.num <= 0) return lp;
    const Tier* next = &ins.tiers->tier_for(clamp_cash(size * lp.num / lp.den));
    if (next == tier) return lp;
    tier = next;
  }
  return lp;
}

bool Exchange::passes_initial_margin(const NewOrder& o, Price limit, Qty replaced) const {
  if (is_system(o.account)) return true;
  const Instrument& ins = instruments_[static_cast<std::size_t>(o.instrument)];
  const Qty p = ins.pos.qty[o.account];
  // Orders that only reduce the position never need margin.
  if ((o.side == Side::Sell && p > 0 && o.qty <= p) || (o.side == Side::Buy && p < 0 && o.qty <= -p))
    return true;
  const AccountRisk r = scope_risk(o.account, scope_of(o.account, o.instrument));
  Price v = valuation_price(ins);
  // Price the order is expected to trade at: the best opposite price for a market order.
  const Price px = o.kind == Kind::Market ? ins.book.best(opposite(o.side)).price : limit;
  if (v == 0) v = px;
  Qty ob = ins.book.open_qty(o.account, Side::Buy), os = ins.book.open_qty(o.account, Side::Sell);
  const Qty before = std::max(absval(p + ob), absval(p - os));
  (o.side == Side::Buy ? ob : os) += o.qty - replaced;  // an amend replaces its own open qty
  const Qty after = std::max(absval(p + ob), absval(p - os));
  const Price before_v = valuation_price(ins);
  const Cash im_before = before == 0 ? 0 : ins.tiers->initial(notional(ins, before, before_v));
  const Cash im_after = ins.tiers->initial(notional(ins, after, std::max(v, o.side == Side::Buy ? px : v)));
  // Buying above the mark (selling below it) is a loss the moment it fills.
  const Price gap = o.side == Side::Buy ? px - v : v - px;
  const Cash open_loss = gap > 0 ? notional(ins, o.qty, gap) : 0;
  return int128{r.equity} - open_loss >= int128{r.initial} - im_before + im_after;
}

void Exchange::touch_adl(AccountId a) {
  adl_cache_.touched.push_back(a);
  if (adl_cache_.touched.size() > 1024 + adl_cache_.cands.size() / 8) adl_cache_.valid = false;
}

void Exchange::refresh_triggers() {
  for (const AccountId a : dirty_list_) {
    dirty_[a] = 0;
    refreshed_.push_back(a);
    if (parked_.unpark(a)) unparked(a);
    const bool multi = open_positions_[a] >= 2;  // cross positions in several instruments
    if (multi && !in_multi_[a]) {
      in_multi_[a] = 1;
      multi_.push_back(a);
    }
    if (!multi) in_multi_[a] = 0;  // removed from multi_ lazily by the risk stage
    for (std::size_t i = 0; i < instruments_.size(); ++i) {
      Instrument& ins = instruments_[i];
      const auto inst = static_cast<InstrumentId>(i);
      const Qty p = ins.pos.qty[a];
      // Indexed: isolated positions, and the single cross position of a one-instrument account.
      const auto lp = p == 0 || (multi && !is_isolated(a, inst)) ? std::nullopt
                                                                   : liquidation_price(a, inst);
      if (!lp) {
        ins.triggers.erase(a);
        continue;
      }
      // Keys are widened by a tick so rounding can only add candidates, never hide one.
      if (p > 0) {
        if (lp->num <= 0) ins.triggers.erase(a);
        else ins.triggers.set(a, Side::Buy, static_cast<Price>(lp->num / lp->den) + 2);
      } else {
        ins.triggers.set(a, Side::Sell, lp->num <= 0 ? 0 : static_cast<Price>(lp->num / lp->den) - 1);
      }
    }
  }
  dirty_list_.clear();
}

AdlCandidate Exchange::adl_candidate(const Instrument& ins, AccountId a, Price v) const {
  const InstrumentId inst = static_cast<InstrumentId>(&ins - instruments_.data());
  const Qty p = ins.pos.qty[a];
  const Standing r = standing(a, scope_of(a, inst));
  const Cash value = clamp_cash(int128{p} * v * ins.spec.cash_per_tick_lot);
  return AdlCandidate{a, absval(p), value - ins.pos.basis[a], std::max<Cash>(absval(ins.pos.basis[a]), 1),
                      r.equity, r.maintenance, absval(value)};
}

std::vector<AdlCandidate> Exchange::adl_candidates(InstrumentId inst, Side side) const {
  check_instrument(inst);
  const Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const Price v = valuation_price(ins);
  std::vector<AdlCandidate> out;
  for (AccountId a = -kSystemAccountCount; a < static_cast<AccountId>(num_accounts_); ++a) {
    const Qty p = ins.pos.qty[a];
    if (p == 0 || (p > 0) != (side == Side::Buy) || a == kExternal || a == kFeePool) continue;
    out.push_back(adl_candidate(ins, a, v));
  }
  return out;
}

const std::map<AccountId, AdlCandidate>& Exchange::cached_adl_candidates(InstrumentId inst, Side side) {
  AdlCache& c = adl_cache_;
  if (c.valid && c.inst == inst && c.side == side) {
    refresh_adl_cache();
    return c.cands;
  }
  const std::vector<AdlCandidate> all = adl_candidates(inst, side);
  c.cands.clear();
  for (const AdlCandidate& x : all) c.cands.emplace_hint(c.cands.end(), x.account, x);
  c.inst = inst;
  c.side = side;
  c.touched.clear();
  if (AdlQueue::supports(risk_.adl_rule)) c.queue.build(risk_.adl_rule, all);
  c.valid = true;
  return c.cands;
}

// Re-values the accounts changed since the last round (adding new holders, dropping those
// no longer on the side), in the account map and in the queue.
void Exchange::refresh_adl_cache() {
  AdlCache& c = adl_cache_;
  if (c.touched.empty()) return;
  std::sort(c.touched.begin(), c.touched.end());
  c.touched.erase(std::unique(c.touched.begin(), c.touched.end()), c.touched.end());
  const Instrument& ins = instruments_[static_cast<std::size_t>(c.inst)];
  const Price v = valuation_price(ins);
  const bool ranked = AdlQueue::supports(risk_.adl_rule);
  for (const AccountId a : c.touched) {
    if (a == kExternal || a == kFeePool) continue;
    auto it = c.cands.find(a);
    const bool present = it != c.cands.end();
    const Qty p = ins.pos.qty[a];
    const bool holder = p != 0 && (p > 0) == (c.side == Side::Buy);
    if (present && ranked) c.queue.erase(it->second);
    if (!holder) {
      if (present) c.cands.erase(it);
      continue;
    }
    const AdlCandidate fresh = adl_candidate(ins, a, v);
    c.cands[a] = fresh;
    if (ranked) c.queue.insert(fresh);
  }
  c.touched.clear();
}

}  // namespace liqsim

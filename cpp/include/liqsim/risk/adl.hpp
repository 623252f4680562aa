// Auto-deleveraging (DESIGN section 3, "ADL"): when the insurance fund / backstop cannot absorb
// a bankrupt position, the rest of it is closed against holders on the opposite side. This
// component only decides WHO is closed and HOW MUCH; the caller executes the fills (at the
// bankruptcy price, or the mark as an option) and emits the events.
//
// Self-contained: no Exchange dependency, integer money only. Every decision (ranking, shares,
// start index) is exact: ranking scores are fractions of int128 products compared by 256-bit
// cross-multiplication, shares are int128 floor divisions; no floating point anywhere.
//
// Rules (source formulas and the choices made here are documented in adl.cpp):
//   pnl_leverage       Binance per DESIGN wording: PnL% x margin ratio
//                      = (upnl / entry_notional) x (maintenance / equity), highest first.
//   bitmex             PnL% x leverage if upnl > 0, PnL% / leverage otherwise,
//                      leverage = notional / equity, highest first.
//   pro_rata           every holder closes needed x qty_i / total (largest remainder rounding).
//   capped_pro_rata    water-filling: each holder closes min(qty_i, cap).
//   leverage_draining  most levered (notional / equity) first.
//   random             dYdX: uniform random start over holders sorted by account id, then
//                      cyclic walk.
// In the three ranking rules, candidates with equity <= 0 (infinite / undefined leverage) come
// before every candidate with equity > 0, most negative equity first; remaining ties go to the
// lower account id. Ranked candidates are closed fully, in order, until `needed` is met.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim {

struct AdlCandidate {
  AccountId account;
  Qty qty;              // > 0: size of the position on the side opposite the bankrupt one
  Cash upnl;            // unrealized PnL of that position at mark (signed)
  Cash entry_notional;  // |entry price x qty| in cash units (> 0), for PnL%
  Cash equity;          // account equity (margin balance) at mark
  Cash maintenance;     // account maintenance margin (>= 0)
  Cash notional;        // position notional at mark (>= 0)
};

enum class AdlRule : std::uint8_t {
  PnlLeverage,
  Bitmex,
  ProRata,
  CappedProRata,
  LeverageDraining,
  Random,
};

struct AdlFill {
  AccountId account;
  Qty qty;  // > 0
};

// Lots each candidate must close so that the bankrupt side's `needed` lots are covered.
// Fills come in the order they are taken (ranking order; account id order for the pro-rata
// rules; walk order for random). Sum of fill qty = min(needed, sum of candidate qty): any
// shortfall is the caller's. No zero fills, no candidate appears twice, no fill exceeds the
// candidate's qty. The input order of `candidates` never matters.
// Throws Error(InvalidOrder) for needed < 0, qty <= 0, entry_notional <= 0, maintenance < 0,
// notional < 0 or a duplicate account; Error(InvalidConfig) for an unknown rule value.
std::vector<AdlFill> adl_allocate(AdlRule rule, std::vector<AdlCandidate> candidates, Qty needed,
                                  std::uint64_t random_seed);

// Binance-style indicator lights, one per candidate in input order: 1..5, the quintile of the
// candidate's place in the rule's queue, 5 = first in line: light = 5 - floor(5 r / n) with r
// the number of candidates strictly ahead (exactly tied candidates share the better light, so
// the account-id tie-break never shows). Queue per rule: the ranking for pnl_leverage, bitmex
// and leverage_draining; quantity ascending for capped_pro_rata (a smaller holder loses a larger
// fraction of its position); pro_rata and random have no queue, every candidate is equally
// exposed and shows 5. Same validation as adl_allocate.
// The queue of a ranking rule (pnl_leverage, bitmex, leverage_draining) kept in order across
// ADL rounds: when a round changes a few accounts only those are re-keyed. take() closes the
// same candidates, in the same order, as adl_allocate on the same set.
class AdlQueue {
 public:
  static bool supports(AdlRule rule);
  void build(AdlRule rule, const std::vector<AdlCandidate>& candidates);
  void erase(const AdlCandidate& c);   // c exactly as it was inserted
  void insert(const AdlCandidate& c);
  // Candidates in queue order until `needed` is met, skipping `skip` and system accounts (< 0).
  std::vector<AdlFill> take(Qty needed, AccountId skip) const;
  std::size_t size() const { return ranked_.size(); }

 private:
  struct Ahead {  // queue order, ties by account: a total order
    AdlRule rule;
    bool operator()(const AdlCandidate& a, const AdlCandidate& b) const;
  };
  AdlRule rule_ = AdlRule::PnlLeverage;
  std::set<AdlCandidate, Ahead> ranked_{Ahead{AdlRule::PnlLeverage}};
};

std::vector<std::uint8_t> adl_lights(AdlRule rule, const std::vector<AdlCandidate>& candidates);

// "pnl_leverage", "bitmex", "pro_rata", "capped_pro_rata", "leverage_draining", "random".
std::optional<AdlRule> parse_adl_rule(std::string_view name);
const char* adl_rule_name(AdlRule rule);  // "unknown" for a value outside the enum

}  // namespace liqsim

// Auto-deleveraging allocation (see adl.hpp and DESIGN section 3, "ADL").
//
// Rule sources and the exact formulas implemented
// -----------------------------------------------
// pnl_leverage (Binance USD-M, as worded in DESIGN):
//     score = PnL% x margin ratio = (upnl / entry_notional) x (maintenance / equity)
//           = (upnl * maintenance) / (entry_notional * equity).
//   Binance's published ranking is "PnL% * effective leverage" when profitable and
//   "PnL% / effective leverage" when losing; DESIGN's wording (margin ratio, applied uniformly)
//   is implemented here, and the leverage form is the `bitmex` rule. Consequence of the uniform
//   product: among losing positions the more levered one ranks LOWER (its score is more
//   negative); losing positions only matter once all profitable ones are exhausted.
// bitmex (BitMEX "ADL ranking", also Binance's published form):
//     leverage = notional / equity
//     score = PnL% x leverage = (upnl * notional) / (entry_notional * equity)   if upnl > 0
//     score = PnL% / leverage = (upnl * equity) / (entry_notional * notional)   if upnl <= 0
//   (upnl == 0 gives 0; a loss with notional == 0, i.e. zero leverage, gives -infinity.)
// leverage_draining (risk-based ADL, DESIGN "deleverage the most levered first"):
//     score = notional / equity.
// Common to the three ranking rules: highest score first; each candidate is closed FULLY, in
// order, and only the last one taken may be closed partially. Candidates with equity <= 0 have
// infinite (equity == 0) or meaningless negative (equity < 0) leverage and margin ratio: they
// are insolvent themselves, so they all go BEFORE every candidate with equity > 0, ordered by
// equity ascending (deepest in the hole first), regardless of their PnL. Exact ties (equal
// fractions, or equal equity inside the equity <= 0 group) go to the lower account id.
//
// pro_rata (haircut every holder proportionally, DESIGN "pro_rata"):
//     base_i = floor(needed * qty_i / total); the needed - sum(base_i) < n leftover lots go one
//     each to the largest remainders (needed * qty_i mod total), ties: larger qty_i, then lower
//     account id (Hamilton / largest-remainder apportionment). A leftover lot always goes to a
//     candidate with a non-zero remainder, so base_i + 1 <= qty_i. needed >= total: everyone
//     closes fully.
// capped_pro_rata (water-filling):
//     the largest integer cap c with sum_i min(qty_i, c) <= needed; each candidate closes
//     min(qty_i, c), and the needed - sum(min(qty_i, c)) leftover lots (fewer than the number of
//     candidates with qty_i > c) go one each to the candidates with qty_i > c in account id
//     order. Small holders are closed fully before large ones are touched beyond them.
// random (dYdX v4 deleveraging: random start over the opposite holders):
//     candidates sorted by account id; start = uniform integer in [0, n) from the splitmix64
//     stream seeded with random_seed (rejection sampling: outputs x < 2^64 mod n are redrawn,
//     then start = x mod n, so the choice is exactly uniform); then walk cyclically from start,
//     closing each candidate fully until `needed` is met.
//
// Exactness: scores are ratios of int128 products of int64 inputs (|num|, den < 2^126), compared
// by cross-multiplying into 256-bit unsigned integers; shares use int128. No floating point.
#include "liqsim/risk/adl.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "liqsim/error.hpp"

namespace liqsim {
namespace {

__extension__ using u128 = unsigned __int128;

// ---------------------------------------------------------------- exact ratio comparison

struct U256 {
  u128 hi;
  u128 lo;
};

U256 mul_wide(u128 a, u128 b) {
  constexpr u128 kLow = ~std::uint64_t{0};
  const u128 a0 = a & kLow, a1 = a >> 64, b0 = b & kLow, b1 = b >> 64;
  const u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const u128 mid = (p00 >> 64) + (p01 & kLow) + (p10 & kLow);  // < 3 * 2^64, no overflow
  return U256{p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64), (p00 & kLow) | (mid << 64)};
}

int cmp_u256(const U256& a, const U256& b) {
  if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
  if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
  return 0;
}

int sgn(int128 v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }
u128 mag(int128 v) { return v < 0 ? u128{0} - static_cast<u128>(v) : static_cast<u128>(v); }

// num / den with den > 0; den == 0 encodes +infinity (num > 0) or -infinity (num < 0).
struct Ratio {
  int128 num;
  int128 den;
};

// <0, 0, >0 as a < b, a == b, a > b.
int compare(const Ratio& a, const Ratio& b) {
  const int sa = sgn(a.num), sb = sgn(b.num);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  const bool ia = a.den == 0, ib = b.den == 0;
  if (ia || ib) {
    if (ia && ib) return 0;
    const int r = ia ? 1 : -1;  // |a| > |b| if a is the infinite one
    return sa > 0 ? r : -r;
  }
  const int m = cmp_u256(mul_wide(mag(a.num), mag(b.den)), mul_wide(mag(b.num), mag(a.den)));
  return sa > 0 ? m : -m;
}

// ---------------------------------------------------------------- validation

std::string where(const AdlCandidate& c) {
  return " (account " + std::to_string(c.account) + ")";
}

void check_rule(AdlRule rule) {
  switch (rule) {
    case AdlRule::PnlLeverage:
    case AdlRule::Bitmex:
    case AdlRule::ProRata:
    case AdlRule::CappedProRata:
    case AdlRule::LeverageDraining:
    case AdlRule::Random:
      return;
  }
  fail(ErrorKind::InvalidConfig,
       "adl: unknown rule " + std::to_string(static_cast<int>(rule)));
}

void check_candidates(const std::vector<AdlCandidate>& cs) {
  for (const AdlCandidate& c : cs) {
    if (c.qty <= 0)
      fail(ErrorKind::InvalidOrder,
           "adl: candidate qty must be > 0, got " + std::to_string(c.qty) + where(c));
    if (c.entry_notional <= 0)
      fail(ErrorKind::InvalidOrder, "adl: candidate entry_notional must be > 0, got " +
                                        std::to_string(c.entry_notional) + where(c));
    if (c.maintenance < 0)
      fail(ErrorKind::InvalidOrder, "adl: candidate maintenance must be >= 0, got " +
                                        std::to_string(c.maintenance) + where(c));
    if (c.notional < 0)
      fail(ErrorKind::InvalidOrder, "adl: candidate notional must be >= 0, got " +
                                        std::to_string(c.notional) + where(c));
  }
}

// `ids` sorted ascending.
void check_unique(const std::vector<AccountId>& ids) {
  const auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end())
    fail(ErrorKind::InvalidOrder, "adl: duplicate candidate account " + std::to_string(*dup));
}

// ---------------------------------------------------------------- queue order

struct Keyed {
  AdlCandidate c;
  bool broke;   // equity <= 0: ahead of every solvent candidate in the ranking rules
  Ratio score;  // ranking rules, solvent candidates only: higher is earlier
};

bool is_ranking(AdlRule rule) {
  return rule == AdlRule::PnlLeverage || rule == AdlRule::Bitmex ||
         rule == AdlRule::LeverageDraining;
}

Ratio score_of(AdlRule rule, const AdlCandidate& c) {
  const int128 upnl = c.upnl, en = c.entry_notional, eq = c.equity, mm = c.maintenance,
               nt = c.notional;
  switch (rule) {
    case AdlRule::PnlLeverage:  // (upnl / en) x (mm / eq)
      return Ratio{upnl * mm, en * eq};
    case AdlRule::Bitmex:
      if (upnl > 0) return Ratio{upnl * nt, en * eq};  // (upnl / en) x (nt / eq)
      if (upnl == 0) return Ratio{0, 1};
      if (nt == 0) return Ratio{-1, 0};  // loss at zero leverage: -infinity
      return Ratio{upnl * eq, en * nt};  // (upnl / en) / (nt / eq)
    case AdlRule::LeverageDraining:  // nt / eq
      return Ratio{nt, eq};
    default:
      return Ratio{0, 1};
  }
}

Keyed keyed(AdlRule rule, const AdlCandidate& c) {
  const bool broke = c.equity <= 0;
  return Keyed{c, broke, broke || !is_ranking(rule) ? Ratio{0, 1} : score_of(rule, c)};
}

// <0: a is ahead of b in the rule's queue; 0: tied (account id is NOT consulted here).
int queue_cmp(AdlRule rule, const Keyed& a, const Keyed& b) {
  if (is_ranking(rule)) {
    if (a.broke != b.broke) return a.broke ? -1 : 1;
    if (a.broke) return a.c.equity < b.c.equity ? -1 : (a.c.equity > b.c.equity ? 1 : 0);
    return -compare(a.score, b.score);
  }
  if (rule == AdlRule::CappedProRata) return a.c.qty < b.c.qty ? -1 : (a.c.qty > b.c.qty ? 1 : 0);
  return 0;  // pro_rata, random: no queue
}

// Queue order as a strict total order: queue_cmp, then account id.
bool keyed_ahead(AdlRule rule, const Keyed& a, const Keyed& b) {
  const int r = queue_cmp(rule, a, b);
  return r != 0 ? r < 0 : a.c.account < b.c.account;
}

// ---------------------------------------------------------------- allocation

// Close candidates fully in the given order until `needed` is met.
std::vector<AdlFill> take_in_order(const std::vector<AdlCandidate>& order, std::size_t start,
                                   Qty needed) {
  std::vector<AdlFill> fills;
  const std::size_t n = order.size();
  for (std::size_t k = 0; k < n && needed > 0; ++k) {
    const AdlCandidate& c = order[(start + k) % n];
    const Qty q = std::min(c.qty, needed);
    fills.push_back(AdlFill{c.account, q});
    needed -= q;
  }
  return fills;
}

std::vector<AdlFill> allocate_ranked(AdlRule rule, const std::vector<AdlCandidate>& cs,
                                     Qty needed) {
  std::vector<Keyed> ks;
  ks.reserve(cs.size());
  for (const AdlCandidate& c : cs) ks.push_back(keyed(rule, c));
  const auto ahead = [rule](const Keyed& a, const Keyed& b) { return keyed_ahead(rule, a, b); };
  // Usually the head of the queue covers the shortfall: rank only as deep as needed
  // (same result as a full sort, since the order is total).
  std::size_t k = std::min<std::size_t>(64, ks.size());
  for (;;) {
    std::partial_sort(ks.begin(), ks.begin() + static_cast<std::ptrdiff_t>(k), ks.end(), ahead);
    Qty covered = 0;
    for (std::size_t i = 0; i < k && covered < needed; ++i) covered += ks[i].c.qty;
    if (covered >= needed || k == ks.size()) break;
    k = std::min(ks.size(), k * 8);
  }
  std::vector<AdlCandidate> order;
  order.reserve(k);
  for (std::size_t i = 0; i < k; ++i) order.push_back(ks[i].c);
  return take_in_order(order, 0, needed);
}

// `cs` sorted by account id; needed < total.
std::vector<AdlFill> allocate_pro_rata(const std::vector<AdlCandidate>& cs, Qty needed,
                                       int128 total) {
  const std::size_t n = cs.size();
  std::vector<Qty> take(n);
  std::vector<int128> rem(n);
  Qty assigned = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const int128 p = static_cast<int128>(needed) * cs[i].qty;
    take[i] = static_cast<Qty>(p / total);  // < qty_i <= int64 max
    rem[i] = p % total;
    assigned += take[i];
  }
  Qty leftover = needed - assigned;  // in [0, n)
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    if (rem[a] != rem[b]) return rem[a] > rem[b];
    if (cs[a].qty != cs[b].qty) return cs[a].qty > cs[b].qty;
    return cs[a].account < cs[b].account;
  });
  for (std::size_t k = 0; k < n && leftover > 0; ++k, --leftover) ++take[idx[k]];
  std::vector<AdlFill> fills;
  for (std::size_t i = 0; i < n; ++i)
    if (take[i] > 0) fills.push_back(AdlFill{cs[i].account, take[i]});
  return fills;
}

// `cs` sorted by account id; needed < total.
std::vector<AdlFill> allocate_capped(const std::vector<AdlCandidate>& cs, Qty needed) {
  const std::size_t n = cs.size();
  std::vector<Qty> q(n);
  for (std::size_t i = 0; i < n; ++i) q[i] = cs[i].qty;
  std::sort(q.begin(), q.end());
  // For c in [q[k-1], q[k]]: sum_i min(qty_i, c) = prefix_k + c * (n - k). Find the first k
  // where even c = q[k] overshoots; the cap lies in [q[k-1], q[k]).
  int128 prefix = 0;
  Qty cap = 0, leftover = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const int128 rest = static_cast<int128>(n - k);
    if (prefix + static_cast<int128>(q[k]) * rest > needed) {
      cap = static_cast<Qty>((needed - prefix) / rest);
      leftover = static_cast<Qty>((needed - prefix) % rest);
      break;
    }
    prefix += q[k];
  }
  std::vector<AdlFill> fills;
  for (const AdlCandidate& c : cs) {
    Qty t = std::min(c.qty, cap);
    if (c.qty > cap && leftover > 0) {
      ++t;
      --leftover;
    }
    if (t > 0) fills.push_back(AdlFill{c.account, t});
  }
  return fills;
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Exactly uniform in [0, n), n >= 1.
std::uint64_t uniform_below(std::uint64_t seed, std::uint64_t n) {
  std::uint64_t state = seed;
  const std::uint64_t reject_below = (std::uint64_t{0} - n) % n;  // 2^64 mod n
  std::uint64_t x = splitmix64(state);
  while (x < reject_below) x = splitmix64(state);
  return x % n;
}

}  // namespace

bool AdlQueue::supports(AdlRule rule) { return is_ranking(rule); }

bool AdlQueue::Ahead::operator()(const AdlCandidate& a, const AdlCandidate& b) const {
  return keyed_ahead(rule, keyed(rule, a), keyed(rule, b));
}

void AdlQueue::build(AdlRule rule, const std::vector<AdlCandidate>& candidates) {
  check_rule(rule);
  if (!is_ranking(rule)) fail(ErrorKind::InvalidConfig, "adl: AdlQueue needs a ranking rule");
  rule_ = rule;
  // Key every candidate once and sort a flat array (a large ADL wave rebuilds this queue after
  // each mark change: inserting 400,000 candidates one by one into the tree, each comparison
  // re-computing two scores, was most of the oct10 full-scale run); the tree is then built
  // from the sorted range in linear time.
  std::vector<Keyed> keyed_all;
  keyed_all.reserve(candidates.size());
  for (const AdlCandidate& c : candidates) keyed_all.push_back(keyed(rule, c));
  std::sort(keyed_all.begin(), keyed_all.end(),
            [rule](const Keyed& a, const Keyed& b) { return keyed_ahead(rule, a, b); });
  std::vector<AdlCandidate> sorted;
  sorted.reserve(keyed_all.size());
  for (const Keyed& k : keyed_all) sorted.push_back(k.c);
  ranked_ = std::set<AdlCandidate, Ahead>(sorted.begin(), sorted.end(), Ahead{rule});
}

void AdlQueue::erase(const AdlCandidate& c) { ranked_.erase(c); }

void AdlQueue::insert(const AdlCandidate& c) { ranked_.insert(c); }

std::vector<AdlFill> AdlQueue::take(Qty needed, AccountId skip) const {
  std::vector<AdlFill> fills;
  for (const AdlCandidate& c : ranked_) {
    if (needed <= 0) break;
    if (c.account == skip || c.account < 0) continue;
    const Qty q = std::min(c.qty, needed);
    fills.push_back(AdlFill{c.account, q});
    needed -= q;
  }
  return fills;
}

std::vector<AdlFill> adl_allocate(AdlRule rule, std::vector<AdlCandidate> candidates, Qty needed,
                                  std::uint64_t random_seed) {
  check_rule(rule);
  if (needed < 0)
    fail(ErrorKind::InvalidOrder, "adl: needed must be >= 0, got " + std::to_string(needed));
  check_candidates(candidates);
  std::sort(candidates.begin(), candidates.end(),
            [](const AdlCandidate& a, const AdlCandidate& b) { return a.account < b.account; });
  std::vector<AccountId> ids;
  ids.reserve(candidates.size());
  for (const AdlCandidate& c : candidates) ids.push_back(c.account);
  check_unique(ids);

  if (needed == 0 || candidates.empty()) return {};
  int128 total = 0;
  for (const AdlCandidate& c : candidates) total += c.qty;

  switch (rule) {
    case AdlRule::PnlLeverage:
    case AdlRule::Bitmex:
    case AdlRule::LeverageDraining:
      return allocate_ranked(rule, candidates, needed);
    case AdlRule::ProRata:
      if (needed >= total) return take_in_order(candidates, 0, needed);
      return allocate_pro_rata(candidates, needed, total);
    case AdlRule::CappedProRata:
      if (needed >= total) return take_in_order(candidates, 0, needed);
      return allocate_capped(candidates, needed);
    case AdlRule::Random:
      return take_in_order(candidates,
                           static_cast<std::size_t>(uniform_below(random_seed, candidates.size())),
                           needed);
  }
  return {};  // unreachable: check_rule
}

std::vector<std::uint8_t> adl_lights(AdlRule rule, const std::vector<AdlCandidate>& candidates) {
  check_rule(rule);
  check_candidates(candidates);
  const std::size_t n = candidates.size();
  std::vector<AccountId> ids;
  ids.reserve(n);
  for (const AdlCandidate& c : candidates) ids.push_back(c.account);
  std::sort(ids.begin(), ids.end());
  check_unique(ids);

  std::vector<Keyed> ks;
  ks.reserve(n);
  for (const AdlCandidate& c : candidates) ks.push_back(keyed(rule, c));
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return keyed_ahead(rule, ks[a], ks[b]); });
  std::vector<std::uint8_t> lights(n);
  std::size_t ahead = 0;  // candidates strictly ahead of the current tie group
  for (std::size_t p = 0; p < n; ++p) {
    if (p > 0 && queue_cmp(rule, ks[order[p - 1]], ks[order[p]]) != 0) ahead = p;
    lights[order[p]] = static_cast<std::uint8_t>(5 - (5 * ahead) / n);
  }
  return lights;
}

std::optional<AdlRule> parse_adl_rule(std::string_view name) {
  for (AdlRule r : {AdlRule::PnlLeverage, AdlRule::Bitmex, AdlRule::ProRata,
                    AdlRule::CappedProRata, AdlRule::LeverageDraining, AdlRule::Random})
    if (name == adl_rule_name(r)) return r;
  return std::nullopt;
}

const char* adl_rule_name(AdlRule rule) {
  switch (rule) {
    case AdlRule::PnlLeverage:
      return "pnl_leverage";
    case AdlRule::Bitmex:
      return "bitmex";
    case AdlRule::ProRata:
      return "pro_rata";
    case AdlRule::CappedProRata:
      return "capped_pro_rata";
    case AdlRule::LeverageDraining:
      return "leverage_draining";
    case AdlRule::Random:
      return "random";
  }
  return "unknown";
}

}  // namespace liqsim

#include "liqsim/market/market_spec.hpp"

#include <cmath>
#include <string>

#include "liqsim/error.hpp"

namespace liqsim::market {

namespace {

void check(bool ok, const std::string& field, const std::string& rule, double v) {
  if (!ok || std::isnan(v))
    fail(ErrorKind::InvalidConfig, field + " must be " + rule + ", got " + std::to_string(v));
}
void positive(const std::string& f, double v) { check(std::isfinite(v) && v > 0, f, "> 0 and finite", v); }
void non_negative(const std::string& f, double v) { check(std::isfinite(v) && v >= 0, f, ">= 0 and finite", v); }
void share(const std::string& f, double v) { check(v >= 0 && v <= 1, f, "in [0, 1]", v); }
void count(const std::string& f, std::int64_t v, std::int64_t hi = 100'000'000) {
  check(v >= 0 && v <= hi, f, "an integer in [0, " + std::to_string(hi) + "]", static_cast<double>(v));
}

void validate_units(const std::string& p, const Units& u) {
  positive(p + ".tick_size", u.tick_size);
  positive(p + ".lot_size", u.lot_size);
  positive(p + ".cash_unit", u.cash_unit);
}

void validate_makers(const std::string& p, const MakerSpec& m) {
  count(p + ".count", m.count, 10'000);
  positive(p + ".capital", m.capital);
  count(p + ".levels", m.levels, 1'000);
  if (m.count > 0) check(m.levels >= 1, p + ".levels", ">= 1", static_cast<double>(m.levels));
  non_negative(p + ".half_spread_bps", m.half_spread_bps);
  positive(p + ".level_spacing_bps", m.level_spacing_bps);
  check(m.half_spread_bps < 1e4, p + ".half_spread_bps", "< 10000", m.half_spread_bps);
  positive(p + ".depth_1pct", m.depth_1pct);
  positive(p + ".refresh_s", m.refresh_s);
  positive(p + ".inventory_limit", m.inventory_limit);
  non_negative(p + ".skew_bps", m.skew_bps);
  check(m.skew_bps < 5e3, p + ".skew_bps", "< 5000", m.skew_bps);
  positive(p + ".stress_vol", m.stress_vol);
  non_negative(p + ".stress_vol_dispersion", m.stress_vol_dispersion);
  positive(p + ".stress_drawdown", m.stress_drawdown);
  non_negative(p + ".adl_stress_s", m.adl_stress_s);
  check(m.floor > 0 && m.floor <= 1, p + ".floor", "in (0, 1]", m.floor);
  positive(p + ".rebuild_s", m.rebuild_s);
  check(std::isfinite(m.widen) && m.widen >= 1, p + ".widen", ">= 1", m.widen);
  share(p + ".hedge_share", m.hedge_share);
}

void validate_noise(const std::string& p, const NoiseSpec& n) {
  non_negative(p + ".rate", n.rate);
  check(n.rate <= 1e5, p + ".rate", "<= 1e5 per second", n.rate);
  positive(p + ".size_median", n.size_median);
  non_negative(p + ".size_sigma", n.size_sigma);
  share(p + ".buy_share", n.buy_share);
  count(p + ".accounts", n.accounts, 1'000'000);
  if (n.rate > 0) check(n.accounts >= 1, p + ".accounts", ">= 1 when rate > 0", static_cast<double>(n.accounts));
}

}  // namespace

void validate(const MarketSpec& s) {
  validate_units("perp_units", s.perp_units);
  validate_units("spot_units", s.spot_units);
  check(s.perp != s.spot, "spot", "a different instrument from perp", s.spot);
  positive("price0", s.price0);
  positive("duration_s", s.duration_s);
  check(s.duration_s <= 400 * 86400.0, "duration_s", "at most 400 days", s.duration_s);
  positive("sample_s", s.sample_s);
  positive("tick_s", s.tick_s);
  non_negative("insurance_fund", s.insurance_fund);
  count("basis_accounts", s.basis_accounts, 10'000);

  const TraderSpec& t = s.traders;
  count("traders.count", t.count, 50'000'000);
  if (t.count > 0) check(s.basis_accounts >= 1, "basis_accounts", ">= 1 when there are traders", 0);
  share("traders.long_share", t.long_share);
  check(std::isfinite(t.leverage_max) && t.leverage_max >= 1 && t.leverage_max <= 1000,
        "traders.leverage_max", "in [1, 1000]", t.leverage_max);
  check(std::isfinite(t.leverage_median) && t.leverage_median >= 1 && t.leverage_median <= t.leverage_max,
        "traders.leverage_median", "in [1, leverage_max]", t.leverage_median);
  non_negative("traders.leverage_sigma", t.leverage_sigma);
  positive("traders.collateral_median", t.collateral_median);
  non_negative("traders.collateral_sigma", t.collateral_sigma);
  check(std::isfinite(t.collateral_max) && t.collateral_max >= t.collateral_median,
        "traders.collateral_max", ">= collateral_median", t.collateral_max);
  check(std::isfinite(t.entry_mu) && std::fabs(t.entry_mu) < 2, "traders.entry_mu", "in (-2, 2)", t.entry_mu);
  non_negative("traders.entry_sigma", t.entry_sigma);
  check(t.min_distance >= 0 && t.min_distance < 0.5, "traders.min_distance", "in [0, 0.5)", t.min_distance);
  check(t.short_min_distance == -1 || (t.short_min_distance >= 0 && t.short_min_distance < 0.5),
        "traders.short_min_distance", "-1 or in [0, 0.5)", t.short_min_distance);
  share("traders.stop_share", t.stop_share);
  check(t.stop_distance > 0 && t.stop_distance < 1, "traders.stop_distance", "in (0, 1)", t.stop_distance);

  const BreakoutSpec& b = s.breakout;
  count("breakout.count", b.count, 10'000'000);
  check(std::isfinite(b.leverage_median) && b.leverage_median >= 1 && b.leverage_median <= 125,
        "breakout.leverage_median", "in [1, 125]", b.leverage_median);
  non_negative("breakout.leverage_sigma", b.leverage_sigma);
  positive("breakout.collateral_median", b.collateral_median);
  non_negative("breakout.collateral_sigma", b.collateral_sigma);
  check(b.distance_min >= 0 && b.distance_min < 1, "breakout.distance_min", "in [0, 1)", b.distance_min);
  check(b.distance_max >= b.distance_min && b.distance_max < 1, "breakout.distance_max",
        "in [distance_min, 1)", b.distance_max);
  positive("breakout.retry_s", b.retry_s);
  count("breakout.retries", b.retries, 1'000);

  validate_makers("perp_makers", s.perp_makers);
  validate_makers("spot_makers", s.spot_makers);

  const ArbSpec& a = s.arbitrageurs;
  count("arbitrageurs.count", a.count, 10'000);
  positive("arbitrageurs.capital", a.capital);
  check(std::isfinite(a.leverage) && a.leverage >= 1 && a.leverage <= 125, "arbitrageurs.leverage", "in [1, 125]", a.leverage);
  positive("arbitrageurs.threshold_bps", a.threshold_bps);
  positive("arbitrageurs.clip", a.clip);
  positive("arbitrageurs.interval_s", a.interval_s);

  validate_noise("perp_noise", s.perp_noise);
  validate_noise("spot_noise", s.spot_noise);

  for (std::size_t i = 0; i < s.meta_orders.size(); ++i) {
    const MetaOrderSpec& m = s.meta_orders[i];
    const std::string p = "meta_orders[" + std::to_string(i) + "]";
    check(m.instrument == s.perp || m.instrument == s.spot, p + ".instrument", "the perp or the spot id", m.instrument);
    check(std::isfinite(m.notional) && m.notional != 0, p + ".notional", "non-zero and finite", m.notional);
    non_negative(p + ".start_s", m.start_s);
    positive(p + ".duration_s", m.duration_s);
    positive(p + ".child_interval_s", m.child_interval_s);
    check(m.duration_s / m.child_interval_s <= 1e7, p + ".child_interval_s", "at most 1e7 children", m.child_interval_s);
  }
  for (std::size_t i = 0; i < s.index_shocks.size(); ++i) {
    const IndexShockSpec& k = s.index_shocks[i];
    const std::string p = "index_shocks[" + std::to_string(i) + "]";
    non_negative(p + ".start_s", k.start_s);
    check(std::isfinite(k.size) && std::fabs(k.size) < 5, p + ".size", "a log return in (-5, 5)", k.size);
    positive(p + ".duration_s", k.duration_s);
  }
  const ExternalSpec& e = s.external;
  non_negative("external.sigma", e.sigma);
  check(e.sigma < 0.1, "external.sigma", "< 0.1 per sqrt(second)", e.sigma);
  non_negative("external.kappa", e.kappa);
  check(e.kappa * e.update_s <= 1, "external.kappa", "<= 1 / update_s", e.kappa);
  non_negative("external.impact", e.impact);
  check(e.impact < 1e-3, "external.impact", "< 1e-3 per USD", e.impact);
  non_negative("external.reversion", e.reversion);
  check(e.reversion * e.update_s <= 1, "external.reversion", "<= 1 / update_s", e.reversion);
  share("external.weight_spot", e.weight_spot);
  share("external.weight_external", e.weight_external);
  check(std::fabs(e.weight_spot + e.weight_external - 1.0) < 1e-9, "external.weight_spot + weight_external",
        "1", e.weight_spot + e.weight_external);
  positive("external.update_s", e.update_s);
}

}  // namespace liqsim::market

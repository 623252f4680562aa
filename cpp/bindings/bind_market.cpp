// liqsim._core.MarketSpec (+ its parts) and liqsim._core.Simulation: the C++ market model.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <limits>
#include <string>

#include "bindings.hpp"
#include "liqsim/market/simulation.hpp"

namespace py = pybind11;

namespace liqsim::py_bindings {

using namespace liqsim::market;

namespace {

template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
  py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

py::dict series_dict(const TimeSeries& s) {
  py::dict d;
#define LIQSIM_COLUMN(name) d[#name] = to_numpy(s.name)
  LIQSIM_COLUMN(t); LIQSIM_COLUMN(mark); LIQSIM_COLUMN(index); LIQSIM_COLUMN(external);
  LIQSIM_COLUMN(perp_mid); LIQSIM_COLUMN(spot_mid); LIQSIM_COLUMN(best_bid); LIQSIM_COLUMN(best_ask);
  LIQSIM_COLUMN(spot_best_bid); LIQSIM_COLUMN(spot_best_ask); LIQSIM_COLUMN(depth_bid_1pct);
  LIQSIM_COLUMN(depth_ask_1pct); LIQSIM_COLUMN(depth_bid_2pct); LIQSIM_COLUMN(depth_ask_2pct);
  LIQSIM_COLUMN(open_interest); LIQSIM_COLUMN(insurance_fund); LIQSIM_COLUMN(liq_long_cum);
  LIQSIM_COLUMN(liq_short_cum); LIQSIM_COLUMN(adl_long_cum); LIQSIM_COLUMN(adl_short_cum);
  LIQSIM_COLUMN(halted); LIQSIM_COLUMN(mm_equity); LIQSIM_COLUMN(mm_depth_factor);
  LIQSIM_COLUMN(funding_rate);
#undef LIQSIM_COLUMN
  return d;
}

}  // namespace

#define RW(cls, f) .def_readwrite(#f, &cls::f)

void bind_market(py::module_& m) {
  py::class_<Units>(m, "Units").def(py::init<>()) RW(Units, tick_size) RW(Units, lot_size) RW(Units, cash_unit);
  py::class_<TraderSpec>(m, "TraderSpec")
      .def(py::init<>()) RW(TraderSpec, count) RW(TraderSpec, long_share) RW(TraderSpec, leverage_median)
      RW(TraderSpec, leverage_sigma) RW(TraderSpec, leverage_max) RW(TraderSpec, collateral_median)
      RW(TraderSpec, collateral_sigma) RW(TraderSpec, collateral_max) RW(TraderSpec, entry_mu)
      RW(TraderSpec, entry_sigma) RW(TraderSpec, min_distance) RW(TraderSpec, short_min_distance) RW(TraderSpec, stop_share) RW(TraderSpec, stop_distance);
  py::class_<BreakoutSpec>(m, "BreakoutSpec")
      .def(py::init<>()) RW(BreakoutSpec, count) RW(BreakoutSpec, leverage_median)
      RW(BreakoutSpec, leverage_sigma) RW(BreakoutSpec, collateral_median)
      RW(BreakoutSpec, collateral_sigma) RW(BreakoutSpec, distance_min) RW(BreakoutSpec, distance_max)
      RW(BreakoutSpec, retry_s) RW(BreakoutSpec, retries);
  py::class_<MakerSpec>(m, "MakerSpec")
      .def(py::init<>()) RW(MakerSpec, count) RW(MakerSpec, capital) RW(MakerSpec, levels)
      RW(MakerSpec, half_spread_bps) RW(MakerSpec, level_spacing_bps) RW(MakerSpec, depth_1pct)
      RW(MakerSpec, refresh_s) RW(MakerSpec, inventory_limit) RW(MakerSpec, skew_bps)
      RW(MakerSpec, stress_vol) RW(MakerSpec, stress_vol_dispersion) RW(MakerSpec, stress_drawdown)
      RW(MakerSpec, adl_stress_s) RW(MakerSpec, floor) RW(MakerSpec, rebuild_s) RW(MakerSpec, widen) RW(MakerSpec, hedge_share);
  py::class_<ArbSpec>(m, "ArbSpec")
      .def(py::init<>()) RW(ArbSpec, count) RW(ArbSpec, capital) RW(ArbSpec, leverage)
      RW(ArbSpec, threshold_bps) RW(ArbSpec, clip) RW(ArbSpec, interval_s);
  py::class_<NoiseSpec>(m, "NoiseSpec")
      .def(py::init<>()) RW(NoiseSpec, rate) RW(NoiseSpec, size_median) RW(NoiseSpec, size_sigma)
      RW(NoiseSpec, buy_share) RW(NoiseSpec, accounts);
  py::class_<MetaOrderSpec>(m, "MetaOrderSpec")
      .def(py::init<>()) RW(MetaOrderSpec, instrument) RW(MetaOrderSpec, notional) RW(MetaOrderSpec, start_s)
      RW(MetaOrderSpec, duration_s) RW(MetaOrderSpec, child_interval_s);
  py::class_<IndexShockSpec>(m, "IndexShockSpec")
      .def(py::init<>()) RW(IndexShockSpec, start_s) RW(IndexShockSpec, size) RW(IndexShockSpec, duration_s);
  py::class_<ExternalSpec>(m, "ExternalSpec")
      .def(py::init<>()) RW(ExternalSpec, sigma) RW(ExternalSpec, kappa) RW(ExternalSpec, impact) RW(ExternalSpec, reversion) RW(ExternalSpec, weight_spot)
      RW(ExternalSpec, weight_external) RW(ExternalSpec, update_s);
  py::class_<MarketSpec>(m, "MarketSpec")
      .def(py::init<>()) RW(MarketSpec, perp) RW(MarketSpec, spot) RW(MarketSpec, perp_units)
      RW(MarketSpec, spot_units) RW(MarketSpec, price0) RW(MarketSpec, duration_s) RW(MarketSpec, sample_s)
      RW(MarketSpec, tick_s) RW(MarketSpec, insurance_fund) RW(MarketSpec, funding)
      RW(MarketSpec, basis_accounts) RW(MarketSpec, traders) RW(MarketSpec, breakout) RW(MarketSpec, perp_makers)
      RW(MarketSpec, spot_makers) RW(MarketSpec, arbitrageurs) RW(MarketSpec, perp_noise)
      RW(MarketSpec, spot_noise) RW(MarketSpec, meta_orders) RW(MarketSpec, index_shocks)
      RW(MarketSpec, external) RW(MarketSpec, event_mask);
  m.def("validate_market", &liqsim::market::validate, py::arg("spec"),
        "Raise InvalidConfigError naming the first bad field of a MarketSpec.");

  py::class_<Simulation>(m, "Simulation", "A scenario run: an Engine plus C++ agent populations.")
      .def(py::init<const Exchange&, const MarketSpec&, std::uint64_t>(), py::arg("engine"),
           py::arg("spec"), py::arg("seed"),
           "Copies the configured engine, validates the spec and seeds the agents.")
      .def("run_until", &Simulation::run_until, py::arg("t"), py::call_guard<py::gil_scoped_release>(),
           "Run every task due at or before t (ns), then advance the exchange to t.")
      .def_property_readonly("now", &Simulation::now)
      .def_property_readonly("end", &Simulation::end)
      .def_property_readonly("done", &Simulation::done)
      .def_property_readonly("seed", &Simulation::seed)
      .def_property_readonly("engine", py::overload_cast<>(&Simulation::exchange),
                             py::return_value_policy::reference_internal)
      .def("take_events", [](Simulation& s) { return event_array(s.take_events()); })
      .def("series", [](const Simulation& s) { return series_dict(s.series()); })
      .def("copy", [](const Simulation& s) { return Simulation(s); },
           "An independent snapshot that continues bit-identically.")
      .def("__copy__", [](const Simulation& s) { return Simulation(s); })
      .def("__deepcopy__", [](const Simulation& s, py::dict) { return Simulation(s); }, py::arg("memo"))
      .def_property_readonly("first_trader", &Simulation::first_trader)
      .def_property_readonly("trader_count", &Simulation::trader_count)
      .def_property_readonly("maker_accounts", [](const Simulation& s) { return to_numpy(s.maker_accounts()); })
      .def_property_readonly("arbitrageur_accounts", [](const Simulation& s) { return to_numpy(s.arbitrageur_accounts()); })
      .def_property_readonly("breakout_accounts", [](const Simulation& s) { return to_numpy(s.breakout_accounts()); })
      .def_property_readonly("basis_accounts", [](const Simulation& s) { return to_numpy(s.basis_accounts()); })
      .def_property_readonly("noise_accounts", [](const Simulation& s) { return to_numpy(s.noise_accounts()); })
      .def_property_readonly("meta_accounts", [](const Simulation& s) { return to_numpy(s.meta_accounts()); })
      .def_property_readonly("trader_leverage", [](const Simulation& s) { return to_numpy(s.trader_leverage()); })
      .def_property_readonly("trader_collateral", [](const Simulation& s) { return to_numpy(s.trader_collateral()); })
      .def_property_readonly("trader_entry", [](const Simulation& s) { return to_numpy(s.trader_entry()); })
      .def_property_readonly("trader_qty", [](const Simulation& s) { return to_numpy(s.trader_qty()); })
      .def("trader_liquidation_prices",
           [](const Simulation& s) {
             // Mark price (USD) at which each trader hits maintenance; NaN when flat.
             const Exchange& ex = s.exchange();
             const auto n = static_cast<std::size_t>(s.trader_count());
             py::array_t<double> out(static_cast<py::ssize_t>(n));
             double* o = out.mutable_data();
             const double tick = s.spec().perp_units.tick_size;
             for (std::size_t i = 0; i < n; ++i) {
               const auto lp = ex.liquidation_price(s.first_trader() + static_cast<AccountId>(i), s.spec().perp);
               o[i] = lp ? std::max(0.0, static_cast<double>(lp->num) / static_cast<double>(lp->den) * tick)
                         : std::numeric_limits<double>::quiet_NaN();
             }
             return out;
           })
      .def_property_readonly("exogenous_notional", &Simulation::exogenous_notional)
      .def_property_readonly("external_price", &Simulation::external_price)
      .def_property_readonly("tasks_run", &Simulation::tasks_run)
      .def_property_readonly("events_emitted",
                             [](Simulation& s) { return s.exchange().log().next_seq(); },
                             "Engine events so far, recorded or filtered out by the mask.");
}

#undef RW

}  // namespace liqsim::py_bindings

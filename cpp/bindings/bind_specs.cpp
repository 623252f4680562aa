// Configuration structs (integer units); liqsim/config.py builds them from validated dataclasses.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "liqsim/exchange.hpp"

namespace py = pybind11;

namespace liqsim::py_bindings {

namespace {

void bind_breaker_specs(py::module_& m) {
  py::class_<PriceBandSpec>(m, "PriceBandSpec")
      .def(py::init<>())
      .def_readwrite("enabled", &PriceBandSpec::enabled)
      .def_readwrite("band_ppm", &PriceBandSpec::band_ppm)
      .def_readwrite("symmetric", &PriceBandSpec::symmetric);
  py::class_<LuldSpec>(m, "LuldSpec")
      .def(py::init<>())
      .def_readwrite("enabled", &LuldSpec::enabled)
      .def_readwrite("band_ppm", &LuldSpec::band_ppm)
      .def_readwrite("ref_window_ns", &LuldSpec::ref_window_ns)
      .def_readwrite("ref_move_ppm", &LuldSpec::ref_move_ppm)
      .def_readwrite("limit_state_ns", &LuldSpec::limit_state_ns)
      .def_readwrite("halt_ns", &LuldSpec::halt_ns);
  py::class_<DcbSpec>(m, "DcbSpec")
      .def(py::init<>())
      .def_readwrite("enabled", &DcbSpec::enabled)
      .def_readwrite("lookback_ns", &DcbSpec::lookback_ns)
      .def_readwrite("band_ppm", &DcbSpec::band_ppm)
      .def_readwrite("halt_ns", &DcbSpec::halt_ns);
  py::class_<VelocitySpec>(m, "VelocitySpec")
      .def(py::init<>())
      .def_readwrite("enabled", &VelocitySpec::enabled)
      .def_readwrite("max_move_ticks", &VelocitySpec::max_move_ticks)
      .def_readwrite("window_ns", &VelocitySpec::window_ns)
      .def_readwrite("pause_ns", &VelocitySpec::pause_ns);
  py::class_<MarketWideSpec>(m, "MarketWideSpec")
      .def(py::init<>())
      .def_readwrite("enabled", &MarketWideSpec::enabled)
      .def_readwrite("level1_ppm", &MarketWideSpec::level1_ppm)
      .def_readwrite("level2_ppm", &MarketWideSpec::level2_ppm)
      .def_readwrite("level3_ppm", &MarketWideSpec::level3_ppm)
      .def_readwrite("halt1_ns", &MarketWideSpec::halt1_ns)
      .def_readwrite("halt2_ns", &MarketWideSpec::halt2_ns)
      .def_readwrite("reference", &MarketWideSpec::reference);
  py::class_<BreakerSpec>(m, "BreakerSpec")
      .def(py::init<>())
      .def_readwrite("price_band", &BreakerSpec::price_band)
      .def_readwrite("luld", &BreakerSpec::luld)
      .def_readwrite("dcb", &BreakerSpec::dcb)
      .def_readwrite("velocity", &BreakerSpec::velocity)
      .def_readwrite("market_wide", &BreakerSpec::market_wide);
  py::class_<ControlSpec>(m, "ControlSpec")
      .def(py::init<>())
      .def_readwrite("breakers", &ControlSpec::breakers)
      .def_property(
          "halt_mark", [](const ControlSpec& s) { return static_cast<int>(s.halt_mark); },
          [](ControlSpec& s, int v) {
            if (v < 0 || v > 2) fail(ErrorKind::InvalidConfig, "halt_mark code must be 0..2");
            s.halt_mark = static_cast<HaltMarkMode>(v);
          })
      .def_readwrite("liq_pause", &ControlSpec::liq_pause)
      .def_readwrite("liq_throttle_global", &ControlSpec::liq_throttle_global)
      .def_readwrite("liq_throttle_account", &ControlSpec::liq_throttle_account)
      .def_readwrite("liq_throttle_window_ns", &ControlSpec::liq_throttle_window_ns)
      .def_readwrite("auction_random_end_ns", &ControlSpec::auction_random_end_ns)
      .def_readwrite("seed", &ControlSpec::seed);
}

}  // namespace

void bind_specs(py::module_& m) {
  bind_breaker_specs(m);
  m.def("validate_breakers", [](const BreakerSpec& s) { validate(s); }, py::arg("spec"),
        "Raise InvalidConfigError if any breaker parameter is out of range.");
  py::class_<InstrumentSpec>(m, "InstrumentSpec")
      .def(py::init<>())
      .def_readwrite("symbol", &InstrumentSpec::symbol)
      .def_property(
          "stp", [](const InstrumentSpec& s) { return static_cast<int>(s.stp); },
          [](InstrumentSpec& s, int v) {
            if (v < 0 || v > 2) fail(ErrorKind::InvalidConfig, "stp code must be 0..2");
            s.stp = static_cast<Stp>(v);
          })
      .def_readwrite("market_band_ppm", &InstrumentSpec::market_band_ppm)
      .def_readwrite("cash_per_tick_lot", &InstrumentSpec::cash_per_tick_lot)
      .def_readwrite("taker_fee_ppm", &InstrumentSpec::taker_fee_ppm)
      .def_readwrite("maker_fee_ppm", &InstrumentSpec::maker_fee_ppm)
      .def_readwrite("tiers", &InstrumentSpec::tiers)
      .def_readwrite("im_multiplier_ppm", &InstrumentSpec::im_multiplier_ppm)
      .def_readwrite("control", &InstrumentSpec::control)
      .def_readwrite("funding_interval_ns", &InstrumentSpec::funding_interval_ns)
      .def_readwrite("funding_interest_ppm", &InstrumentSpec::funding_interest_ppm)
      .def_readwrite("funding_clamp_ppm", &InstrumentSpec::funding_clamp_ppm)
      .def_readwrite("funding_cap_ppm", &InstrumentSpec::funding_cap_ppm)
      .def_property(
          "mark_source", [](const InstrumentSpec& s) { return static_cast<int>(s.mark_source); },
          [](InstrumentSpec& s, int v) {
            if (v < 0 || v > 4) fail(ErrorKind::InvalidConfig, "mark_source code must be 0..4");
            s.mark_source = static_cast<MarkSource>(v);
          });

  py::class_<RiskSpec>(m, "RiskSpec")
      .def(py::init<>())
      .def_readwrite("enabled", &RiskSpec::enabled)
      .def_property(
          "mode", [](const RiskSpec& s) { return static_cast<int>(s.mode); },
          [](RiskSpec& s, int v) {
            if (v < 0 || v > 2) fail(ErrorKind::InvalidConfig, "liquidation mode code must be 0..2");
            s.mode = static_cast<LiquidationMode>(v);
          })
      .def_readwrite("clearance_fee_ppm", &RiskSpec::clearance_fee_ppm)
      .def_readwrite("partial_fraction_ppm", &RiskSpec::partial_fraction_ppm)
      .def_readwrite("partial_threshold", &RiskSpec::partial_threshold)
      .def_readwrite("partial_min_slice", &RiskSpec::partial_min_slice)
      .def_readwrite("partial_max_slice", &RiskSpec::partial_max_slice)
      .def_readwrite("partial_cooldown_ns", &RiskSpec::partial_cooldown_ns)
      .def_readwrite("market_slippage_ppm", &RiskSpec::market_slippage_ppm)
      .def_readwrite("max_per_step", &RiskSpec::max_per_step)
      .def_property(
          "backstop", [](const RiskSpec& s) { return static_cast<int>(s.backstop); },
          [](RiskSpec& s, int v) {
            if (v < 0 || v > 1) fail(ErrorKind::InvalidConfig, "backstop code must be 0..1");
            s.backstop = static_cast<BackstopKind>(v);
          })
      .def_readwrite("vault_trigger_ppm", &RiskSpec::vault_trigger_ppm)
      .def_property(
          "adl_rule", [](const RiskSpec& s) { return std::string(adl_rule_name(s.adl_rule)); },
          [](RiskSpec& s, const std::string& name) {
            const auto rule = parse_adl_rule(name);
            if (!rule) fail(ErrorKind::InvalidConfig, "unknown ADL rule '" + name + "'");
            s.adl_rule = *rule;
          })
      .def_readwrite("adl_at_mark", &RiskSpec::adl_at_mark)
      .def_readwrite("adl_seed", &RiskSpec::adl_seed)
      .def_readwrite("unwind_slippage_ppm", &RiskSpec::unwind_slippage_ppm)
      .def_readwrite("unwind_interval_ns", &RiskSpec::unwind_interval_ns);
}

}  // namespace liqsim::py_bindings

// Configuration structs (integer units); liqsim/config.py builds them from validated dataclasses.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "liqsim/exchange.hpp"

namespace py = pybind11;

namespace liqsim::py_bindings {

void bind_specs(py::module_& m) {
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
      .def_readwrite("unwind_slippage_ppm", &RiskSpec::unwind_slippage_ppm);
}

}  // namespace liqsim::py_bindings

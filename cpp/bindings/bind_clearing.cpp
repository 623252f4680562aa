// Money, marks, margin queries and risk state on liqsim._core.Engine.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "liqsim/exchange.hpp"

namespace py = pybind11;

namespace liqsim::py_bindings {

namespace {

py::object fraction_to_float(const std::optional<PriceFraction>& f) {
  if (!f) return py::none();
  return py::float_(static_cast<double>(f->num) / static_cast<double>(f->den));
}

py::dict risk_dict(const AccountRisk& r) {
  py::dict d;
  d["cash"] = r.cash;
  d["wallet"] = r.wallet;
  d["equity"] = r.equity;
  d["maintenance"] = r.maintenance;
  d["initial"] = r.initial;
  d["upnl"] = r.upnl;
  return d;
}

template <class T>
py::array_t<T> copy_array(const T* data, std::size_t n) {
  return py::array_t<T>(static_cast<py::ssize_t>(n), data);
}

}  // namespace

void bind_clearing(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<Exchange>>(m.attr("Engine"));
  cls.def("deposit", &Exchange::deposit, py::arg("account"), py::arg("amount"), py::arg("ts"))
      .def(
          "deposit_batch",
          [](Exchange& ex, const py::array_t<AccountId, py::array::c_style>& accounts,
             const py::array_t<Cash, py::array::c_style>& amounts, Timestamp ts) {
            if (accounts.ndim() != 1 || amounts.ndim() != 1 || accounts.size() != amounts.size())
              fail(ErrorKind::InvalidOrder, "accounts and amounts must be 1-d arrays of one length");
            const AccountId* a = accounts.data();
            const Cash* c = amounts.data();
            const auto n = static_cast<std::size_t>(accounts.size());
            py::gil_scoped_release unlocked;
            ex.deposit_batch(a, c, n, ts);
          },
          py::arg("accounts"), py::arg("amounts"), py::arg("ts"))
      .def("withdraw", &Exchange::withdraw, py::arg("account"), py::arg("amount"), py::arg("ts"))
      .def("set_margin_mode", &Exchange::set_margin_mode, py::arg("account"), py::arg("instrument"),
           py::arg("isolated"), py::arg("ts"))
      .def("add_isolated_margin", &Exchange::add_isolated_margin, py::arg("account"),
           py::arg("instrument"), py::arg("amount"), py::arg("ts"))
      .def("remove_isolated_margin", &Exchange::remove_isolated_margin, py::arg("account"),
           py::arg("instrument"), py::arg("amount"), py::arg("ts"))
      .def("is_isolated", &Exchange::is_isolated, py::arg("account"), py::arg("instrument"))
      .def(
          "scope_risk",
          [](const Exchange& ex, AccountId a, InstrumentId scope) {
            if (scope >= 0) ex.book(scope);  // validates the instrument
            ex.account_risk(a);              // validates the account
            return risk_dict(ex.scope_risk(a, scope));
          },
          py::arg("account"), py::arg("scope"),
          "Margin state of an isolated position (scope = instrument) or the cross part (-1).")
      .def("fund_insurance", &Exchange::fund_insurance, py::arg("amount"), py::arg("ts"))
      .def("set_index", &Exchange::set_index, py::arg("instrument"), py::arg("index"), py::arg("ts"))
      .def("set_mark", &Exchange::set_mark, py::arg("instrument"), py::arg("mark"), py::arg("ts"))
      .def("apply_funding", &Exchange::apply_funding, py::arg("instrument"), py::arg("rate_ppm"),
           py::arg("ts"))
      .def("set_external_mid", &Exchange::set_external_mid, py::arg("instrument"), py::arg("mid"),
           py::arg("ts"))
      .def("settle_funding", &Exchange::settle_funding, py::arg("instrument"), py::arg("ts"))
      .def("funding_rate", &Exchange::funding_rate, py::arg("instrument"))
      .def("mark", &Exchange::mark, py::arg("instrument"))
      .def("index", &Exchange::index, py::arg("instrument"))
      .def("last_trade", &Exchange::last_trade, py::arg("instrument"))
      .def(
          "account_risk", [](const Exchange& ex, AccountId a) { return risk_dict(ex.account_risk(a)); },
          py::arg("account"), "Cross-margin state of an account (cash units).")
      .def("liquidatable", &Exchange::liquidatable, py::arg("account"))
      .def(
          "liquidation_price",
          [](const Exchange& ex, AccountId a, InstrumentId i) {
            return fraction_to_float(ex.liquidation_price(a, i));
          },
          py::arg("account"), py::arg("instrument"))
      .def(
          "bankruptcy_price",
          [](const Exchange& ex, AccountId a, InstrumentId i) {
            return fraction_to_float(ex.bankruptcy_price(a, i));
          },
          py::arg("account"), py::arg("instrument"))
      .def("cash", [](const Exchange& ex, AccountId a) { return ex.ledger().balance(a); },
           py::arg("account"))
      .def("ledger_total", &Exchange::ledger_total,
           "Sum of every ledger balance, isolated buckets included (always 0).")
      .def(
          "balances",
          [](const Exchange& ex) {
            return copy_array(ex.ledger().balances() - kSystemAccountCount,
                              ex.num_accounts() + kSystemAccountCount);
          },
          "Cash of every ledger account, system accounts (-4..-1) first.")
      .def(
          "position_table",
          [](const Exchange& ex, InstrumentId i) {
            const PositionBook& p = ex.positions(i);
            const std::size_t n = ex.num_accounts() + kSystemAccountCount;
            return py::make_tuple(copy_array(p.qty.data() - kSystemAccountCount, n),
                                  copy_array(p.basis.data() - kSystemAccountCount, n),
                                  copy_array(p.realized.data() - kSystemAccountCount, n));
          },
          py::arg("instrument"), "(qty, basis, realized) arrays, system accounts (-4..-1) first.")
      .def(
          "open_interest", [](const Exchange& ex, InstrumentId i) { return ex.positions(i).open_interest; },
          py::arg("instrument"), "Sum of long positions (= sum of shorts), lots.")
      .def("advance", &Exchange::advance, py::arg("ts"))
      .def("halt", &Exchange::halt, py::arg("instrument"), py::arg("duration_ns"), py::arg("ts"))
      .def("set_control", &Exchange::set_control, py::arg("instrument"), py::arg("control"), py::arg("ts"))
      .def(
          "transfer_positions",
          [](Exchange& ex, InstrumentId inst, AccountId counterparty,
             const py::array_t<AccountId, py::array::c_style>& accounts,
             const py::array_t<Qty, py::array::c_style>& qty,
             const py::array_t<Price, py::array::c_style>& price, Timestamp ts) {
            if (accounts.ndim() != 1 || qty.ndim() != 1 || price.ndim() != 1 ||
                accounts.size() != qty.size() || accounts.size() != price.size())
              fail(ErrorKind::InvalidOrder, "accounts, qty and price must be 1-d arrays of one length");
            const auto n = static_cast<std::size_t>(accounts.size());
            py::gil_scoped_release unlocked;
            ex.transfer_positions(inst, counterparty, accounts.data(), qty.data(), price.data(), n, ts);
          },
          py::arg("instrument"), py::arg("counterparty"), py::arg("accounts"), py::arg("qty"),
          py::arg("price"), py::arg("ts"))
      .def(
          "trading_state",
          [](const Exchange& ex, InstrumentId i) { return static_cast<int>(ex.trading_state(i)); },
          py::arg("instrument"))
      .def("halt_until", &Exchange::halt_until, py::arg("instrument"))
      .def(
          "breaker_state",
          [](const Exchange& ex, InstrumentId i) {
            const Breakers* b = ex.breakers(i);
            py::dict d;
            if (!b) return d;
            const auto [lo, hi] = b->trade_bounds();
            d["luld_lower"] = lo;
            d["luld_upper"] = hi;
            return d;
          },
          py::arg("instrument"))
      .def("insurance_fund", &Exchange::insurance_fund)
      .def_property_readonly("bad_debt", &Exchange::bad_debt)
      .def(
          "adl_lights",
          [](const Exchange& ex, InstrumentId i, int side) {
            if (side != 1 && side != -1) fail(ErrorKind::InvalidOrder, "side must be +1 or -1");
            const auto cands = ex.adl_candidates(i, static_cast<Side>(side));
            const auto lights = adl_lights(ex.risk_spec().adl_rule, cands);
            py::dict d;
            for (std::size_t k = 0; k < cands.size(); ++k) d[py::int_(cands[k].account)] = lights[k];
            return d;
          },
          py::arg("instrument"), py::arg("side"),
          "ADL indicator 1..5 of every holder on `side` (+1 longs, -1 shorts).")
      .def(
          "tier_table",
          [](const Exchange& ex, InstrumentId i) {
            py::list out;
            if (const MarginTiers* t = ex.tiers(i))
              for (const Tier& tier : t->tiers())
                out.append(py::make_tuple(tier.cap, tier.mmr_ppm, tier.cum));
            return out;
          },
          py::arg("instrument"), "(cap, mmr_ppm, cum) per margin tier, cash units.")
      .def(
          "maintenance_for",
          [](const Exchange& ex, InstrumentId i, Cash notional) {
            const MarginTiers* t = ex.tiers(i);
            if (!t) fail(ErrorKind::InvalidConfig, "instrument has no margin tiers");
            return t->maintenance(notional);
          },
          py::arg("instrument"), py::arg("notional"));
}

}  // namespace liqsim::py_bindings

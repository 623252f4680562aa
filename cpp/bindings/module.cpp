#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "liqsim C++ engine (matching, clearing, risk); use the liqsim package API.";
  liqsim::py_bindings::bind_errors(m);
  liqsim::py_bindings::bind_events(m);
  liqsim::py_bindings::bind_specs(m);
  liqsim::py_bindings::bind_exchange(m);
  liqsim::py_bindings::bind_clearing(m);
  liqsim::py_bindings::bind_market(m);
}

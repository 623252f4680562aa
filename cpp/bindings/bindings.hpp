// Declarations shared by the bind_<area>.cpp files of the _core module.
#pragma once
#include <pybind11/pybind11.h>

namespace liqsim::py_bindings {

void bind_errors(pybind11::module_& m);
void bind_events(pybind11::module_& m);
void bind_specs(pybind11::module_& m);
void bind_exchange(pybind11::module_& m);
void bind_clearing(pybind11::module_& m);

}  // namespace liqsim::py_bindings

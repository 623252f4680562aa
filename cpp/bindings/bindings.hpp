// Declarations shared by the bind_<area>.cpp files of the _core module.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <vector>

#include "liqsim/events.hpp"

namespace liqsim::py_bindings {

void bind_errors(pybind11::module_& m);
void bind_events(pybind11::module_& m);
void bind_specs(pybind11::module_& m);
void bind_exchange(pybind11::module_& m);
void bind_clearing(pybind11::module_& m);
void bind_market(pybind11::module_& m);

// Hands a vector of events to numpy without copying (a capsule owns the vector).
pybind11::array event_array(std::vector<Event>&& events);

}  // namespace liqsim::py_bindings

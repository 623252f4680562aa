// Python exception classes for liqsim::Error, created here so C++ raises them directly.
#include <Python.h>

#include "bindings.hpp"
#include "liqsim/error.hpp"

namespace py = pybind11;

namespace liqsim::py_bindings {

namespace {

// Class objects live for the whole interpreter (deliberately never released: the translator
// may run during interpreter shutdown).
PyObject* g_classes[7] = {};

PyObject* new_class(py::module_& m, const char* name, const char* doc, py::tuple bases) {
  const std::string full = std::string("liqsim.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(full.c_str(), doc, bases.ptr(), nullptr);
  if (!cls) throw py::error_already_set();
  m.add_object(name, py::handle(cls));  // add_object steals nothing: it increfs
  return cls;
}

}  // namespace

void bind_errors(py::module_& m) {
  PyObject* base = PyErr_NewExceptionWithDoc("liqsim.LiqsimError",
                                             "Base class of every error liqsim raises.",
                                             PyExc_Exception, nullptr);
  if (!base) throw py::error_already_set();
  m.add_object("LiqsimError", py::handle(base));
  auto value = py::make_tuple(py::handle(base), py::handle(PyExc_ValueError));
  auto key = py::make_tuple(py::handle(base), py::handle(PyExc_KeyError));

  PyObject* invalid_order = new_class(
      m, "InvalidOrderError", "A command field is out of range (also a ValueError).", value);
  g_classes[static_cast<int>(ErrorKind::InvalidOrder)] = invalid_order;
  g_classes[static_cast<int>(ErrorKind::InvalidConfig)] = new_class(
      m, "InvalidConfigError", "A configuration parameter is out of range (also a ValueError).",
      value);
  g_classes[static_cast<int>(ErrorKind::DuplicateOrderId)] =
      new_class(m, "DuplicateOrderIdError", "The order id was already used.",
                py::make_tuple(py::handle(invalid_order)));
  g_classes[static_cast<int>(ErrorKind::UnknownOrder)] =
      new_class(m, "UnknownOrderError", "No order was ever submitted with this id (also a KeyError).", key);
  g_classes[static_cast<int>(ErrorKind::UnknownAccount)] =
      new_class(m, "UnknownAccountError", "No such account (also a KeyError).", key);
  g_classes[static_cast<int>(ErrorKind::InsufficientFunds)] = new_class(
      m, "InsufficientFundsError", "A withdrawal beyond free margin (also a ValueError).", value);
  g_classes[static_cast<int>(ErrorKind::UnknownInstrument)] =
      new_class(m, "UnknownInstrumentError", "No such instrument (also a KeyError).", key);

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyObject* cls = g_classes[static_cast<int>(e.kind())];
      std::string msg = e.what();
      if (e.row() >= 0) msg = "row " + std::to_string(e.row()) + ": " + msg;
      PyObject* exc = PyObject_CallFunction(cls, "s", msg.c_str());
      if (!exc) return;  // the call itself set a Python error
      PyObject* row = e.row() >= 0 ? PyLong_FromLongLong(e.row()) : (Py_INCREF(Py_None), Py_None);
      PyObject_SetAttrString(exc, "row", row);
      Py_DECREF(row);
      PyErr_SetObject(cls, exc);
      Py_DECREF(exc);
    }
  });
}

}  // namespace liqsim::py_bindings

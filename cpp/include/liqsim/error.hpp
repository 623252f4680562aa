// The one exception type the engine throws for bad input; the bindings map `kind` to the
// Python exception classes (LiqsimError and its ValueError/KeyError subclasses).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace liqsim {

enum class ErrorKind : std::uint8_t {
  InvalidOrder,       // ValueError: a field of a command is out of range
  InvalidConfig,      // ValueError: a configuration parameter is out of range
  DuplicateOrderId,   // ValueError: order id already used
  UnknownOrder,       // KeyError
  UnknownAccount,     // KeyError
  UnknownInstrument,  // KeyError
  InsufficientFunds,  // ValueError: a withdrawal beyond free margin
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  // Row of a batch that failed (-1 for single commands).
  std::int64_t row() const { return row_; }
  void set_row(std::int64_t row) { row_ = row; }

 private:
  ErrorKind kind_;
  std::int64_t row_ = -1;
};

[[noreturn]] inline void fail(ErrorKind kind, const std::string& what) { throw Error(kind, what); }

}  // namespace liqsim

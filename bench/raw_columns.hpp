// Reading the workload columns that the bench scripts write as raw arrays (numpy tofile), for
// the bench's standalone C++ programs (lean_book.cpp, engine_driver.cpp).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

// The whole file dir/name as an array of T; exits with a message if it cannot be read.
template <class T>
std::vector<T> load_column(const std::string& dir, const char* name) {
  std::ifstream f(dir + "/" + name, std::ios::binary | std::ios::ate);
  if (!f) {
    std::fprintf(stderr, "cannot read %s/%s\n", dir.c_str(), name);
    std::exit(1);
  }
  const auto bytes = static_cast<std::size_t>(f.tellg());
  f.seekg(0);
  std::vector<T> v(bytes / sizeof(T));
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(bytes));
  return v;
}

// The standard matching workload (bench/workload.py), one vector per batch column, as
// native.write_columns writes it.
struct Workload {
  std::vector<std::uint8_t> cmd;
  std::vector<std::int32_t> instrument;
  std::vector<std::int64_t> order_id;
  std::vector<std::int32_t> account;
  std::vector<std::int8_t> side;
  std::vector<std::uint8_t> kind;
  std::vector<std::int64_t> price;
  std::vector<std::int64_t> qty;
  std::vector<std::int64_t> ts;
};

inline Workload load_workload(const std::string& dir) {
  return Workload{load_column<std::uint8_t>(dir, "cmd.u8"),
                  load_column<std::int32_t>(dir, "instrument.i32"),
                  load_column<std::int64_t>(dir, "order_id.i64"),
                  load_column<std::int32_t>(dir, "account.i32"),
                  load_column<std::int8_t>(dir, "side.i8"),
                  load_column<std::uint8_t>(dir, "kind.u8"),
                  load_column<std::int64_t>(dir, "price.i64"),
                  load_column<std::int64_t>(dir, "qty.i64"),
                  load_column<std::int64_t>(dir, "ts.i64")};
}

// Reading the workload columns that the bench scripts write as raw arrays (numpy tofile), for
// the bench's standalone C++ programs (lean_book.cpp, engine_driver.cpp).
#pragma once
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

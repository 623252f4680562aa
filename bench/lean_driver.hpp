// The timing loop shared by the lean books (lean_book.cpp, lean_queue.cpp): loads the workload
// columns, checks they hold only what a lean book supports, and runs them REPS times on a fresh
// book, printing per repeat "ns_per_order fills volume".
//
// A Book has Book(max_id), limit(id, side, price, qty, ioc), cancel(id), fills() and volume().
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "raw_columns.hpp"

template <class Book>
int run_lean_book(int argc, char** argv, const char* program) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR REPS\n", program);
    return 1;
  }
  const std::string dir = argv[1];
  const int reps = std::atoi(argv[2]);
  const Workload w = load_workload(dir);
  const std::size_t n = w.cmd.size();
  const std::int64_t max_id = n ? *std::max_element(w.order_id.begin(), w.order_id.end()) : 0;
  // Only what the standard workload has: NEW (cmd 0) GTC (kind 0) or IOC (kind 1) limits, and
  // cancels (cmd 1).
  for (std::size_t i = 0; i < n; ++i)
    if (w.cmd[i] > 1 || (w.cmd[i] == 0 && w.kind[i] > 1)) {
      std::fprintf(stderr, "row %zu: cmd %d kind %d is not supported by %s\n", i, w.cmd[i],
                   w.kind[i], program);
      return 1;
    }
  for (int r = 0; r < reps; ++r) {
    Book book(static_cast<std::size_t>(max_id));
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (w.cmd[i] == 0)
        book.limit(w.order_id[i], w.side[i], w.price[i], w.qty[i], w.kind[i] == 1);
      else
        book.cancel(w.order_id[i]);
    }
    const auto t1 = std::chrono::steady_clock::now();
    const double ns =
        std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n);
    std::printf("%.2f %lld %lld\n", ns, static_cast<long long>(book.fills()),
                static_cast<long long>(book.volume()));
  }
  return 0;
}

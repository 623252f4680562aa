// The liqsim engine on the standard matching workload, without Python: the C++ driver the
// engine A/B (bench/ab_engine.py) builds against two source trees, so a change to the engine
// is timed side by side with nothing else in the way.
//
// Usage: engine_driver DIR REPS [inline] [mask=M]. DIR holds the workload columns as raw arrays
// (native.write_columns, raw_columns.hpp). Each repeat runs the whole workload as one batch on a
// fresh exchange (one instrument, 1000 accounts, as bench_matching.py) and takes the events. Freed
// event buffers stay mapped (as liqsim's event pool does for Python), so only the first repeat pays
// page faults. `inline` settles on the matching thread (no settlement thread); `mask=M` records
// only the event types whose bit is set in M (bench/event_cost.py: what recording events costs).
// Prints per repeat: "ns/order (matching thread CPU time) wall ns/order events".
#include <malloc.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "liqsim/exchange.hpp"
#include "raw_columns.hpp"

namespace {


double thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace liqsim;
  if (argc < 3) {
    std::fprintf(stderr, "usage: engine_driver DIR REPS [inline] [mask=M]\n");
    return 1;
  }
  const std::string dir = argv[1];
  const int reps = std::atoi(argv[2]);
  bool settle_inline = false;
  std::uint32_t mask = 0xFFFFFFFFu;
  for (int i = 3; i < argc; ++i) {
    const std::string opt = argv[i];
    if (opt == "inline") {
      settle_inline = true;
    } else if (opt.rfind("mask=", 0) == 0) {
      mask = static_cast<std::uint32_t>(std::strtoul(opt.c_str() + 5, nullptr, 0));
    } else {
      std::fprintf(stderr, "unknown option %s\n", opt.c_str());
      return 1;
    }
  }
  const Workload w = load_workload(dir);
  // Keep freed memory mapped: later repeats reuse it, like the engine's event pool.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  for (int r = 0; r < reps; ++r) {
    Exchange ex;
    InstrumentSpec spec;
    spec.symbol = "X";
    ex.add_instrument(spec);
    ex.add_accounts(1000);
    ex.log().set_mask(mask);
    if (settle_inline) ex.set_parallel_settlement(Exchange::kNoParallelSettlement);
    BatchView b;
    b.n = w.cmd.size();
    b.cmd = w.cmd.data();
    b.instrument = w.instrument.data();
    b.order_id = w.order_id.data();
    b.account = w.account.data();
    b.side = w.side.data();
    b.kind = w.kind.data();
    b.price = w.price.data();
    b.qty = w.qty.data();
    b.ts = w.ts.data();
    const double c0 = thread_cpu_ns();
    const auto t0 = std::chrono::steady_clock::now();
    ex.run_batch(b);
    const auto events = ex.log().take();
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = thread_cpu_ns();
    const auto n = static_cast<double>(b.n);
    std::printf("%.2f %.2f %zu\n", (c1 - c0) / n,
                std::chrono::duration<double, std::nano>(t1 - t0).count() / n, events.size());
  }
  return 0;
}

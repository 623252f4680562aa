// Standalone tests of the order-id map (cpp/include/liqsim/book/id_map.hpp). No framework:
//   g++ -std=c++20 -O1 -Wall -Wextra -I cpp/include tests/cpp/test_id_map.cpp -o /tmp/tid && /tmp/tid
// The map keeps dense ids (< 2^32) as a state byte + live bit + handle per id and other ids in
// a hash table; both must behave exactly like a plain std::map of handles.
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "liqsim/book/id_map.hpp"

using namespace liqsim;

static int g_checks = 0;
static int g_failures = 0;

static void check(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("FAIL: %s\n", what.c_str());
  }
}

static void handles_and_states() {
  IdMap m;
  check(m.find(1) == IdMap::kMissing, "never-seen dense id is missing");
  check(m.find(std::int64_t{1} << 62) == IdMap::kMissing, "never-seen hashed id is missing");

  m.set(7, live_handle(3, 42));
  check(m.find(7) == live_handle(3, 42), "live handle round-trips");
  check(!is_done(m.find(7)) && handle_instrument(m.find(7)) == 3 && handle_index(m.find(7)) == 42,
        "live handle decodes to instrument 3, index 42");
  check(m.find(6) == IdMap::kMissing && m.find(8) == IdMap::kMissing, "neighbours stay missing");
  check(m.size() == 1, "size counts ids");

  m.retire_live(7, 3);
  check(m.find(7) == done_handle(3), "retire_live leaves a done handle with the instrument");
  check(m.size() == 1, "retiring does not change the size");

  m.set(9, done_handle(254));  // rejected order: never live, highest instrument id
  check(m.find(9) == done_handle(254), "done-only id keeps instrument 254");

  m.set(7, live_handle(3, 5));  // the engine never revives an id, but the map must not care
  check(m.find(7) == live_handle(3, 5), "a done id can be set live again");

  const OrderId big = (std::int64_t{1} << 62) + 5;  // engine ids take the hashed path
  m.set(big, live_handle(1, 9));
  check(m.find(big) == live_handle(1, 9), "hashed live handle");
  m.retire_live(big, 1);
  check(m.find(big) == done_handle(1), "hashed retire_live");
  check(m.size() == 3, "size counts dense and hashed ids");

  const OrderId far = (std::int64_t{1} << 32) - 1;  // last dense id: its own page
  m.set(far, live_handle(0, 0));
  check(m.find(far) == live_handle(0, 0), "last dense id");
}

static void copies_are_deep() {
  IdMap a;
  a.set(1, live_handle(0, 1));
  a.set(5000, done_handle(2));
  IdMap b(a);
  a.retire_live(1, 0);
  a.set(5001, live_handle(0, 3));
  check(b.find(1) == live_handle(0, 1), "copy keeps the live handle after the original retires it");
  check(b.find(5001) == IdMap::kMissing, "copy does not see later inserts");
  check(b.find(5000) == done_handle(2), "copy keeps done handles");
  IdMap c;
  c = b;
  check(c.find(1) == live_handle(0, 1) && c.size() == 2, "copy assignment");
}

// Random operations against std::map (splitmix64 stream, fixed seed).
static void matches_a_plain_map() {
  std::uint64_t s = 12345;
  auto next = [&s] {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  IdMap m;
  std::map<OrderId, std::uint64_t> ref;
  int mismatches = 0;
  for (int step = 0; step < 200000; ++step) {
    const std::uint64_t r = next();
    // Mostly small dense ids (shared pages), some spread out, some hashed.
    OrderId id = static_cast<OrderId>(1 + r % 20000);
    if (r % 7 == 0) id = static_cast<OrderId>(1 + (r >> 8) % (std::uint64_t{1} << 32));
    if (r % 11 == 0) id = static_cast<OrderId>((std::uint64_t{1} << 62) + (r >> 8) % 5000);
    const auto inst = static_cast<InstrumentId>((r >> 40) % 255);
    const int op = static_cast<int>((r >> 50) % 3);
    auto it = ref.find(id);
    if (op == 0) {
      const std::uint64_t h = live_handle(inst, static_cast<std::uint32_t>(r >> 20));
      m.set(id, h);
      ref[id] = h;
    } else if (op == 1) {
      m.set(id, done_handle(inst));
      ref[id] = done_handle(inst);
    } else if (it != ref.end() && !is_done(it->second)) {
      const InstrumentId live_inst = handle_instrument(it->second);
      m.retire_live(id, live_inst);
      it->second = done_handle(live_inst);
    }
    const OrderId probe = static_cast<OrderId>(1 + next() % 20000);
    auto pr = ref.find(probe);
    const std::uint64_t want = pr == ref.end() ? IdMap::kMissing : pr->second;
    auto now = ref.find(id);
    const std::uint64_t want_id = now == ref.end() ? IdMap::kMissing : now->second;
    if (m.find(probe) != want || m.find(id) != want_id) ++mismatches;
  }
  check(mismatches == 0, "random operations agree with std::map (" + std::to_string(mismatches) + " mismatches)");
  check(m.size() == ref.size(), "size agrees with std::map");
  int wrong = 0;
  for (const auto& [id, h] : ref) wrong += m.find(id) != h;
  check(wrong == 0, "every id agrees at the end");
}

// An id far beyond the flat range goes to the hash table; when sequential ids later grow the
// range over it, it moves into the arrays and keeps its handle (and is counted once).
static void growing_over_hashed_ids() {
  IdMap m;
  const OrderId early = 1'000'000;
  const OrderId engine = (std::int64_t{1} << 62) + 5;
  m.set(early, live_handle(2, 77));
  m.set(engine, done_handle(1));
  check(m.dense_size() < static_cast<std::size_t>(early), "a far id does not stretch the flat range");
  for (OrderId id = 1; id < 700'000; ++id) m.set(id, id % 3 == 0 ? done_handle(0) : live_handle(0, 1));
  check(m.dense_size() > static_cast<std::size_t>(early), "sequential ids grew the range over the far id");
  check(m.find(early) == live_handle(2, 77), "the far id kept its handle after moving");
  m.retire_live(early, 2);
  check(m.find(early) == done_handle(2), "and is retired in the arrays");
  check(m.find(engine) == done_handle(1), "engine ids stay hashed");
  check(m.find(699'999) == done_handle(0) && m.find(699'998) == live_handle(0, 1) &&
            m.find(700'000) == IdMap::kMissing,
        "sequential ids after growth");
  check(m.size() == 699'999 + 2, "every id counted once");
}

// Id 0 is never an order (it marks empty hash slots): unknown however the map is filled.
// Far-apart ids cannot stretch the flat range beyond 4 slots per id held (+64Ki).
static void id_zero_and_sparse_ids() {
  IdMap m;
  check(m.find(0) == IdMap::kMissing, "id 0 on an empty map");
  m.set(5'000'000, live_handle(0, 3));  // far: hashed, the flat range stays empty
  check(m.dense_size() == 0 && m.find(0) == IdMap::kMissing, "id 0 with only hashed ids");
  IdMap s;
  for (int k = 0; k < 24; ++k) {
    // as far out as the range still grows to (distinct once it stops growing)
    const auto id = static_cast<OrderId>(2 * s.dense_size() + 65'536 - static_cast<std::size_t>(k));
    s.set(id, done_handle(0));
    check(s.find(id) == done_handle(0), "sparse id " + std::to_string(id) + " found");
  }
  check(s.dense_size() <= 4 * (s.size() + 65'536), "sparse ids keep the flat range small (" +
                                                       std::to_string(s.dense_size()) + " slots)");
  check(s.size() == 24, "sparse ids counted");
}

int main() {
  handles_and_states();
  copies_are_deep();
  matches_a_plain_map();
  growing_over_hashed_ids();
  id_zero_and_sparse_ids();
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}

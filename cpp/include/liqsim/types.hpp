// Integer units shared by every part of the engine (DESIGN section 2).
#pragma once
#include <cstdint>

namespace liqsim {

using Price = std::int64_t;        // ticks
using Qty = std::int64_t;          // lots
using Cash = std::int64_t;         // global cash units (default 1e-6 USD)
using Timestamp = std::int64_t;    // ns since scenario start
using OrderId = std::int64_t;      // 1..2^62-1 from callers, unique for the life of an exchange
using AccountId = std::int32_t;    // dense, 0..n-1
using InstrumentId = std::int32_t; // dense, 0..n-1
__extension__ using int128 = __int128;  // GCC/Clang extension; silences -Wpedantic

// Bounds keep price * qty far inside int128; an order's notional is checked against
// kMaxNotional so any single fill's cash fits in int64 with room to spare.
inline constexpr Price kMaxPrice = 1'000'000'000'000'000;  // 1e15 ticks
inline constexpr Qty kMaxQty = 1'000'000'000'000'000;      // 1e15 lots
inline constexpr std::int64_t kPpm = 1'000'000;
inline constexpr std::int64_t kMaxNotional = 1'000'000'000'000'000'000;  // 1e18 cash units
// Account balances and the total deposited stay within 2^62 (4.6e12 USD at the default unit),
// so a balance plus any one fill's notional cannot overflow.
inline constexpr std::int64_t kMaxBalance = std::int64_t{1} << 62;
// Orders the engine sends itself (liquidations, backstop unwinds) are numbered from here up;
// callers' ids stay below, so the two never meet.
inline constexpr OrderId kFirstEngineOrderId = OrderId{1} << 62;

enum class Side : std::int8_t { Buy = 1, Sell = -1 };

inline constexpr Side opposite(Side s) { return s == Side::Buy ? Side::Sell : Side::Buy; }
inline constexpr int sign(Side s) { return static_cast<int>(s); }

// Order kind: time in force and type in one code (docs/matching.md).
enum class Kind : std::uint8_t { Limit = 0, Ioc = 1, Fok = 2, PostOnly = 3, Market = 4 };
inline constexpr std::uint8_t kKindCount = 5;

enum class Cmd : std::uint8_t { New = 0, Cancel = 1, Amend = 2 };

enum class Stp : std::uint8_t { None = 0, CancelNewest = 1, CancelOldest = 2 };

}  // namespace liqsim

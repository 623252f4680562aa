// Counter-based random streams: draw i of stream (seed, agent, stream) is a hash of all four, so
// every agent owns its draws. Switching a breaker on changes what agents do, never which numbers
// anyone else draws (common random numbers, DESIGN section 5).
#pragma once
#include <cmath>
#include <cstdint>

namespace liqsim::market {

// SplitMix64 finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Agent populations (high 32 bits of an agent key) and what a stream is used for.
enum class Population : std::uint64_t {
  Trader = 1, PerpMaker = 2, SpotMaker = 3, Arbitrageur = 4, Noise = 5, MetaOrder = 6, External = 7, Breakout = 8
};
enum class Stream : std::uint64_t { Setup = 1, Timing = 2, Action = 3 };

inline std::uint64_t agent_key(Population p, std::uint64_t index) {
  return (static_cast<std::uint64_t>(p) << 32) | index;
}

class Rng {
 public:
  Rng() = default;
  Rng(std::uint64_t seed, std::uint64_t agent, Stream stream)
      : key_(mix64(mix64(mix64(seed) ^ agent) ^ static_cast<std::uint64_t>(stream))) {}

  std::uint64_t next() { return mix64(key_ + 0xd1b54a32d192ed03ULL * ++counter_); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform_open() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }  // (0, 1)
  double normal() {  // Box-Muller, one variate per two draws (no cached state to copy around)
    const double r = std::sqrt(-2.0 * std::log(uniform_open()));
    return r * std::cos(6.283185307179586 * uniform());
  }
  double exponential(double mean) { return -mean * std::log(uniform_open()); }
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }
  std::uint64_t counter() const { return counter_; }

 private:
  std::uint64_t key_ = 0;
  std::uint64_t counter_ = 0;
};

}  // namespace liqsim::market

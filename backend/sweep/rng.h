#pragma once
// The samplers' random numbers: SplitMix64, the same sequence on every platform and library
// (std::uniform_real_distribution is not), so that a seed and a history give the same proposal
// everywhere.
#include <cmath>
#include <cstdint>

namespace reef::sweep {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  // Seeded from several numbers (a sweep's seed, the trial number, a dimension's index).
  Rng(uint64_t a, uint64_t b, uint64_t c = 0) : state_(a) {
    state_ = next() ^ (b * 0x9E3779B97F4A7C15ull);
    state_ = next() ^ (c * 0xC2B2AE3D27D4EB4Full);
  }

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller).
  double normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Uniform index in [0, n).
  size_t index(size_t n) { return static_cast<size_t>(uniform() * static_cast<double>(n)); }

 private:
  uint64_t state_;
};

}  // namespace reef::sweep

#include "backend/sweep/random_sampler.h"

#include "backend/sweep/rng.h"

#include <cmath>

namespace reef::sweep {

double radicalInverse(uint64_t index, uint64_t base) {
  double result = 0, scale = 1.0 / static_cast<double>(base);
  for (; index > 0; index /= base, scale /= static_cast<double>(base))
    result += static_cast<double>(index % base) * scale;
  return result;
}

uint64_t nthPrime(size_t n) {
  static std::vector<uint64_t> primes{2};
  for (uint64_t c = primes.back() + 1; primes.size() <= n; ++c) {
    bool prime = true;
    for (uint64_t p : primes) {
      if (p * p > c) break;
      if (c % p == 0) prime = false;
      if (!prime) break;
    }
    if (prime) primes.push_back(c);
  }
  return primes[n];
}

std::optional<Assignment> RandomSampler::candidate(const std::vector<Trial>& history, int attempt) {
  Rng rng(seed_, history.size(), static_cast<uint64_t>(attempt));
  Rng shifts(seed_, 0x5eed);  // one shift per dimension for the whole sweep
  const uint64_t index = history.size() + static_cast<uint64_t>(attempt) + 1;  // 0 is the origin
  Assignment a = Json::object();
  const auto& dims = space_.dimensions();
  for (size_t i = 0; i < dims.size(); ++i) {
    const double shift = shifts.uniform();
    if (!SearchSpace::active(dims[i], a)) continue;
    double u = rng.uniform();
    if (quasi_) u = std::fmod(radicalInverse(index, nthPrime(i)) + shift, 1.0);
    a[dims[i].key] = dims[i].fromUnit(u);
  }
  return a;
}

}  // namespace reef::sweep

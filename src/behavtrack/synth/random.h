// Seeded random numbers whose sequence is fixed by this file alone (private to synth).
//
// std::normal_distribution and friends are implementation-defined, so the synthetic data
// would change with the standard library. Here every draw is spelled out: SplitMix64
// seeds xoshiro256** (ref: Blackman & Vigna, "Scrambled linear pseudorandom number
// generators", 2021), uniforms take the top 53 bits, normals use Box-Muller.
// Independent streams (simulation, scene, sensor noise) come from one seed and a stream
// number, so turning rendering off leaves the simulated truth unchanged.
// Thread safety: one Random per thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace bt::synth {

class Random {
 public:
  Random(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t x = seed ^ (0x9E3779B97F4A7C15ULL * (stream + 1));
    for (auto& s : s_) s = splitmix64(x);
  }

  std::uint64_t next_u64() {
    // xoshiro256**: result = rotl(s1 * 5, 7) * 9
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n > 0.
  int index(int n) { return static_cast<int>(uniform() * n); }
  bool chance(double p) { return uniform() < p; }
  // -1 or +1 with equal probability.
  double sign() { return chance(0.5) ? 1.0 : -1.0; }

  // Standard normal by Box-Muller: z = sqrt(-2 ln u1) cos(2 pi u2).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(kTwoPi * u2);
    has_spare_ = true;
    return r * std::cos(kTwoPi * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }

  // Index drawn with probability proportional to weights[i] (weights >= 0, sum > 0).
  int weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double r = uniform() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return static_cast<int>(i);
      r -= weights[i];
    }
    return static_cast<int>(weights.size()) - 1;
  }

  static constexpr double kTwoPi = 6.283185307179586;

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace bt::synth

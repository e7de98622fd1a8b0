#pragma once
// Exponential backoff with full jitter (the "Exponential Backoff And Jitter" scheme): attempt n
// waits a uniform random time in [0, min(cap, base * 2^n)]. Reset after a stable period.

#include <chrono>
#include <cstdint>
#include <random>

namespace hearth::cluster {

class backoff {
  public:
    /// `seed` 0 draws a random seed (std::random_device; the jitter need not be unpredictable,
    /// see backoff.cpp). Preconditions: base > 0, cap >= base.
    backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, std::uint64_t seed = 0);

    /// The delay before the next attempt; grows the bound for the one after.
    std::chrono::milliseconds next();
    /// The bound the next call of next() draws from.
    std::chrono::milliseconds bound() const noexcept;
    /// Back to the first bound (after a link stayed up for the stable period).
    void reset() noexcept { attempt_ = 0; }
    unsigned attempt() const noexcept { return attempt_; }

    void set_limits(std::chrono::milliseconds base, std::chrono::milliseconds cap) noexcept;

  private:
    std::chrono::milliseconds base_;
    std::chrono::milliseconds cap_;
    unsigned attempt_ = 0;
    std::mt19937_64 rng_;
};

}  // namespace hearth::cluster

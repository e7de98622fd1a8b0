#pragma once
// A token bucket: `rate` tokens per second up to `burst`, starting full. The caller passes the
// time, so tests drive it with any clock. Not thread-safe (one owner). Private to the session
// module (a session's request rate limit, the per-address connection limit).

#include <algorithm>
#include <chrono>

namespace hearth::session::detail {

class token_bucket {
  public:
    using time_point = std::chrono::steady_clock::time_point;

    /// A full bucket of `burst` (>= 1) tokens at `now`. The rate (> 0 tokens per second) and the
    /// burst are passed to each call rather than stored: one table holds a bucket per client
    /// address, all with the same two numbers.
    token_bucket(double burst, time_point now) noexcept : tokens_(burst), at_(now) {}

    /// Refills for the time since the last call, then takes one token if there is one.
    bool take(double rate, double burst, time_point now) noexcept {
        refill(rate, burst, now);
        if (tokens_ < 1) return false;
        tokens_ -= 1;
        return true;
    }
    /// When the bucket is full again if nothing is taken meanwhile (`now` or earlier if full).
    time_point full_at(double rate, double burst, time_point now) noexcept {
        refill(rate, burst, now);
        const double missing = burst - tokens_;
        if (missing <= 0) return now;
        return now +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(missing / rate)) +
               std::chrono::steady_clock::duration(1);  // rounding down must not end early
    }
    double tokens() const noexcept { return tokens_; }

  private:
    void refill(double rate, double burst, time_point now) noexcept {
        if (now > at_) {
            tokens_ = std::min(burst, tokens_ + std::chrono::duration<double>(now - at_).count() * rate);
            at_ = now;
        }
    }

    double tokens_;
    time_point at_;
};

}  // namespace hearth::session::detail

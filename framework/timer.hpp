#pragma once
// Timers for services: sleep, and a fixed-rate ticker for game loops.

#include <chrono>
#include <cstdint>

#include "framework/asio.hpp"

namespace hearth {

/// Suspends the calling coroutine for `d` on its own executor. Cancellation (e.g. an
/// awaitable operator ||) ends the sleep early with asio::error::operation_aborted thrown;
/// use `try_sleep` for a non-throwing variant.
awaitable<void> sleep(std::chrono::nanoseconds d);
/// Like sleep(); returns false when cancelled instead of throwing.
awaitable<bool> try_sleep(std::chrono::nanoseconds d);

/// A fixed-rate tick: tick n is due at start + n * period, whatever each tick's work costs,
/// so the rate does not drift. A tick that finds itself late returns at once and reports how
/// many periods elapsed (more than 1 means ticks were missed; a game loop can catch up or
/// skip). Lives on the executor it was created with.
class ticker {
  public:
    ticker(asio::any_io_executor ex, std::chrono::nanoseconds period);
    /// Waits for the next due tick; returns the number of periods since the previous one (>= 1).
    awaitable<std::uint64_t> next();
    std::uint64_t ticks() const noexcept { return index_; }
    std::chrono::nanoseconds period() const noexcept { return period_; }
    void cancel() { timer_.cancel(); }

  private:
    asio::steady_timer timer_;
    std::chrono::nanoseconds period_;
    clock::time_point start_;
    std::uint64_t index_ = 0;
};

}  // namespace hearth

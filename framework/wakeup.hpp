#pragma once
// hearth::wakeup: one coroutine waits for a condition that other threads make true, woken by
// them rather than by polling.

#include <functional>
#include <memory>

#include "framework/asio.hpp"

namespace hearth {

/// Wakes a coroutine that waits for "every queue is empty", "the last connection has gone" and
/// the like. The waiter runs on one executor (the one given at construction) and checks its
/// condition on entry and after every notify(); the threads that change what the condition
/// reads call notify() after each change that may have made it true. A notify() that comes while
/// nobody waits is dropped: the next wait checks the condition first, so no wake-up is lost.
///
/// Copies share one state; a notifier's copy keeps it alive after the waiter has gone.
class wakeup {
  public:
    /// `waiter`: the executor the waiting coroutine runs on (a worker's).
    explicit wakeup(asio::any_io_executor waiter);

    /// Any thread, any time: the waiter, if any, re-checks its condition on its own executor.
    /// Costs one post.
    void notify() const;

    /// On the waiter's executor, one waiter at a time: returns true once done() is true (at
    /// once when it already is). Returns false when the awaiting coroutine is cancelled (per-
    /// operation cancellation, e.g. a shutdown step's deadline) before that.
    awaitable<bool> until(std::function<bool()> done) const;

  private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace hearth

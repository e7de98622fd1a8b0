#pragma once
// How node's shutdown thread runs a step (deadline, then cancellation), and the framework's own
// steps: "stop services", "cancel pending calls", "stop workers".

#include <chrono>

#include "framework/node.hpp"

namespace hearth::detail {

/// A shutdown step, with the executor its coroutine runs on.
struct planned_step {
    shutdown_step step;
    asio::any_io_executor where;
};

/// How long a cancelled step gets to end before it is abandoned (left running, detached, until
/// the workers stop). A step that honours cancellation ends at its next co_await.
inline constexpr std::chrono::milliseconds cancel_grace{100};

/// Runs one step on its executor, its coroutine bound to a cancellation slot. At its deadline,
/// emits terminal cancellation on that executor and waits up to cancel_grace for the step to
/// end. `control` is the shutdown thread's own io_context (where steps that must not run on a
/// worker run): the calling thread runs it while it waits. Blocks; call from the shutdown thread.
shutdown_report::step_outcome run_step(const planned_step& planned, asio::io_context& control);

/// Every service's on_stop(), concurrently, on its own worker, within
/// node_config::stop_services_timeout; at the deadline the on_stop() calls still running are
/// cancelled too. Fails when an on_stop() throws. `stop_one(s)` makes s's on_stop() coroutine
/// (node can reach it, this function cannot).
shutdown_step stop_services_step(node& n, std::function<awaitable<void>(service&)> stop_one);

/// Fails every call still waiting for a reply on any worker with `cancelled`.
shutdown_step cancel_pending_calls_step(node& n);

/// Stops and joins every worker. Must run on the shutdown thread, never on a worker.
shutdown_step stop_workers_step(node& n);

}  // namespace hearth::detail

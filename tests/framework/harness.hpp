#pragma once
// Test harness: run a coroutine on a node's worker and wait for its result from the test
// thread, with a deadline (never a sleep).

#include <chrono>
#include <cstdlib>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>

#include "framework/node.hpp"

namespace hearth::testing {

/// A node with `threads` workers for a test, started; stopped by its destructor.
inline node_config test_config(std::string name, unsigned threads = 1) {
    node_config c;
    c.name = std::move(name);
    c.threads = threads;
    c.log_level = std::getenv("HEARTH_TEST_LOG") ? std::getenv("HEARTH_TEST_LOG") : "warn";
    return c;
}

/// Runs `factory()` (returning awaitable<T>) on worker `w` of `n` and returns its result.
/// Throws std::runtime_error if it takes longer than `deadline`; rethrows its exception.
template <class Factory>
auto run_on(node& n, unsigned w, Factory factory,
            std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    using awaitable_t = std::invoke_result_t<Factory&>;
    using T = typename awaitable_t::value_type;
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    if constexpr (std::is_void_v<T>) {
        asio::co_spawn(n.worker_at(w).executor(), std::move(factory), [promise](std::exception_ptr e) {
            if (e)
                promise->set_exception(e);
            else
                promise->set_value();
        });
    } else {
        asio::co_spawn(n.worker_at(w).executor(), std::move(factory), [promise](std::exception_ptr e, T v) {
            if (e)
                promise->set_exception(e);
            else
                promise->set_value(std::move(v));
        });
    }
    if (future.wait_for(deadline) != std::future_status::ready)
        throw std::runtime_error("run_on: the coroutine did not finish within " +
                                 std::to_string(deadline.count()) + " ms");
    return future.get();
}

/// Waits until `pred()` holds, checking it every millisecond, for at most `deadline`; returns
/// whether it held. For conditions set by other threads that have no event to wait on. The
/// test thread sleeps between checks, so it leaves the cores to the workers it waits for.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

}  // namespace hearth::testing

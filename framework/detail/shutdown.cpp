#include "framework/detail/shutdown.hpp"

#include <atomic>
#include <future>
#include <stdexcept>

#include <spdlog/logger.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>

#include "framework/detail/call_errors.hpp"
#include "framework/log.hpp"
#include "framework/service.hpp"
#include "framework/wakeup.hpp"

namespace hearth::detail {

/// The framework's shutdown steps' door to the node's private registry (framework/node.hpp).
struct shutdown_access {
    static std::shared_ptr<const service_registry> registry(const node& n) { return n.registry_snapshot(); }
};
namespace {

std::string ms_text(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

/// One run of one step, shared by the shutdown thread and the step's executor.
struct step_run {
    asio::cancellation_signal signal;   // emitted on the step's executor only
    bool ended = false;                 // read and written on the step's executor only
    std::promise<std::string> outcome;  // "" or the text of the exception that ended the step
};

}  // namespace

shutdown_report::step_outcome run_step(const planned_step& planned, asio::io_context& control) {
    const shutdown_step& step = planned.step;
    shutdown_report::step_outcome out;
    out.name = step.name;
    const auto begin = clock::now();
    auto run = std::make_shared<step_run>();
    auto outcome = run->outcome.get_future();
    // The spawned frame holds `run` as well: the signal owns the state behind the slot the
    // step's operations are bound to, so it outlives them even when the step is abandoned.
    asio::co_spawn(
        planned.where, [fn = step.run, run] { return fn(); },
        asio::bind_cancellation_slot(run->signal.slot(), [run](std::exception_ptr e) {
            run->ended = true;
            run->outcome.set_value(e ? describe(e) : std::string{});
        }));
    auto wait_until = [&](clock::time_point until) {
        control.restart();
        control.run_until(until);  // returns at once when no step runs on this thread
        return outcome.wait_until(until);
    };
    if (wait_until(begin + step.deadline) == std::future_status::ready) {
        out.error = outcome.get();
        out.ok = out.error.empty();
    } else {
        // Emitted on the step's executor (a signal is not thread-safe), unless it ended meanwhile.
        asio::post(planned.where, [run] {
            if (!run->ended) run->signal.emit(asio::cancellation_type::terminal);
        });
        out.error = "timed out after " + ms_text(step.deadline);
        if (wait_until(clock::now() + cancel_grace) != std::future_status::ready)
            out.error += " and was still running " + ms_text(cancel_grace) + " after its cancellation";
    }
    out.took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - begin);
    return out;
}

shutdown_step stop_services_step(node& n, std::function<awaitable<void>(service&)> stop_one) {
    shutdown_step step{"stop services", shutdown_phase::stop_services, n.config().stop_services_timeout, 0,
                       nullptr};
    step.run = [&n, stop_one]() -> awaitable<void> {
        std::vector<service*> all;
        const auto registry = shutdown_access::registry(n);  // named: a range-for would drop it early
        for (const auto& [name, s] : registry->by_name) all.push_back(s);
        if (all.empty()) co_return;
        // Every on_stop() runs on its service's worker with a slot of its own, so that the
        // step's cancellation can be passed on to the ones still running.
        struct one_stop {
            asio::cancellation_signal signal;  // on the service's worker only
            std::atomic<bool> ended{false};
        };
        struct stopping {
            stopping(asio::any_io_executor ex, std::size_t count)
                : progress(std::move(ex)), remaining(count), each(count) {}
            wakeup progress;
            std::atomic<std::size_t> remaining;
            std::atomic<std::size_t> failures{0};
            std::vector<one_stop> each;  // sized once, never moved
        };
        auto st = std::make_shared<stopping>(co_await asio::this_coro::executor, all.size());
        for (std::size_t i = 0; i < all.size(); ++i) {
            service* s = all[i];
            // The frame holds `st` (and so the signal) for as long as the on_stop() runs.
            asio::co_spawn(
                s->home().executor(), [s, st, stop_one] { return stop_one(*s); },
                asio::bind_cancellation_slot(st->each[i].signal.slot(), [s, st, i](std::exception_ptr e) {
                    st->each[i].ended.store(true);
                    if (e) {
                        st->failures.fetch_add(1);
                        s->log().error("on_stop failed: {}", describe(e));
                    }
                    if (st->remaining.fetch_sub(1) == 1) st->progress.notify();
                }));
        }
        // Conditions are named before the co_await: GCC 12 mishandles temporaries in it (DESIGN.md 8).
        std::function<bool()> all_ended = [st] {
            return st->remaining.load() == 0;
        };
        const bool ended = co_await st->progress.until(std::move(all_ended));
        if (!ended) {
            // The step's deadline: cancel the on_stop() calls still running, each on its worker.
            std::string late;
            for (std::size_t i = 0; i < all.size(); ++i) {
                if (st->each[i].ended.load()) continue;
                late += (late.empty() ? "" : ", ") + all[i]->name();
                asio::post(all[i]->home().executor(), [st, i] {
                    if (!st->each[i].ended.load()) st->each[i].signal.emit(asio::cancellation_type::terminal);
                });
            }
            n.log().warn("on_stop() of {} overran the deadline; cancelling it", late);
            co_return;
        }
        if (st->failures.load())
            throw std::runtime_error(std::to_string(st->failures.load()) + " services failed to stop");
    };
    return step;
}

shutdown_step cancel_pending_calls_step(node& n) {
    shutdown_step step{"cancel pending calls", shutdown_phase::stop_services, std::chrono::milliseconds(1000),
                       0, nullptr};
    step.run = [&n]() -> awaitable<void> {
        auto remaining = std::make_shared<std::atomic<unsigned>>(n.worker_count());
        wakeup progress(co_await asio::this_coro::executor);
        for (unsigned i = 0; i < n.worker_count(); ++i) {
            worker& w = n.worker_at(i);
            asio::post(w.executor(), [&w, remaining, progress] {
                // Callers still waiting get `cancelled` rather than hanging until their timeout.
                w.calls().fail_all(call_errors::node_stopping());
                if (remaining->fetch_sub(1) == 1) progress.notify();
            });
        }
        std::function<bool()> all_cancelled = [remaining] {
            return remaining->load() == 0;
        };
        co_await progress.until(std::move(all_cancelled));
    };
    return step;
}

shutdown_step stop_workers_step(node& n) {
    // The deadline is nominal: joining blocks the shutdown thread, and a worker blocked in a
    // handler holds it up however long (signal_watcher's second signal is the way out).
    shutdown_step step{"stop workers", shutdown_phase::stop_workers, std::chrono::milliseconds(5000), 0,
                       nullptr};
    step.run = [&n]() -> awaitable<void> {
        for (unsigned i = 0; i < n.worker_count(); ++i) n.worker_at(i).request_stop();
        for (unsigned i = 0; i < n.worker_count(); ++i) n.worker_at(i).join();
        co_return;
    };
    return step;
}

}  // namespace hearth::detail

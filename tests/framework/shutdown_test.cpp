// A shutdown step's deadline cancels it: the step's coroutine observes the cancellation, a
// step that ignores it is abandoned after a short grace, and the report lists every step.
#include <future>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include "framework/node.hpp"
#include "framework/service.hpp"
#include "framework/timer.hpp"
#include "framework/wakeup.hpp"
#include "tests/framework/harness.hpp"

using namespace hearth;
using namespace hearth::testing;
using namespace std::chrono_literals;

namespace {

/// What a cancelled coroutine saw.
struct observation {
    boost::system::error_code ec;                                   // from its pending async op
    asio::cancellation_type state = asio::cancellation_type::none;  // this_coro::cancellation_state
};

std::vector<std::string> names_of(const shutdown_report& r) {
    std::vector<std::string> names;
    for (const auto& s : r.steps) names.push_back(s.name);
    return names;
}

/// An on_stop() that waits an hour unless cancelled, and tells whether it was.
struct slow_stop_service : service {
    awaitable<void> on_stop() override {
        const bool slept = co_await try_sleep(std::chrono::hours(1));
        auto cs = co_await asio::this_coro::cancellation_state;
        seen.set_value(
            {slept ? boost::system::error_code{} : asio::error::operation_aborted, cs.cancelled()});
    }
    std::promise<observation> seen;
};

}  // namespace

TEST_CASE("a shutdown step that overruns its deadline is cancelled, and its coroutine observes it") {
    node n(test_config("overrun", 2));
    auto seen = std::make_shared<std::promise<observation>>();
    shutdown_step slow;
    slow.name = "slow";
    slow.phase = shutdown_phase::drain_senders;
    slow.deadline = 50ms;
    slow.worker = 1;
    slow.run = [seen]() -> awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
        auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        auto cs = co_await asio::this_coro::cancellation_state;
        seen->set_value({ec, cs.cancelled()});
    };
    n.add_shutdown_step(slow);
    n.start();
    auto observed = seen->get_future();
    const auto begin = clock::now();
    auto report = n.stop();
    const auto took = clock::now() - begin;

    REQUIRE(observed.wait_for(2s) == std::future_status::ready);
    const auto o = observed.get();
    CHECK(o.ec == asio::error::operation_aborted);
    CHECK((o.state & asio::cancellation_type::terminal) != asio::cancellation_type::none);
    // The report still lists every step, with its outcome.
    CHECK(names_of(report) ==
          std::vector<std::string>{"slow", "stop services", "cancel pending calls", "stop workers"});
    REQUIRE(report.steps.size() == 4);
    CHECK_FALSE(report.steps[0].ok);
    CHECK(report.steps[0].error == "timed out after 50 ms");  // it ended when cancelled
    for (std::size_t i = 1; i < report.steps.size(); ++i) CHECK(report.steps[i].ok);
    CHECK_FALSE(report.ok());
    CHECK(took < 1s);
}

TEST_CASE("a cancelled step that awaits with use_awaitable gets operation_aborted as an exception") {
    node n(test_config("overrun-throw", 1));
    auto seen = std::make_shared<std::promise<boost::system::error_code>>();
    n.add_shutdown_step({"sleeper", shutdown_phase::stop_accepting, 30ms, 0, [seen]() -> awaitable<void> {
                             try {
                                 co_await sleep(std::chrono::hours(1));
                             } catch (const boost::system::system_error& e) {
                                 seen->set_value(e.code());
                                 throw;
                             }
                         }});
    n.start();
    auto observed = seen->get_future();
    auto report = n.stop();
    REQUIRE(observed.wait_for(2s) == std::future_status::ready);
    CHECK(observed.get() == asio::error::operation_aborted);
    REQUIRE_FALSE(report.steps.empty());
    CHECK(report.steps[0].name == "sleeper");
    CHECK(report.steps[0].error == "timed out after 30 ms");
}

TEST_CASE("a step that ignores its cancellation is abandoned after a short grace; the rest still run") {
    node n(test_config("stubborn", 2));
    auto cancelled_once = std::make_shared<std::atomic<bool>>(false);
    n.add_shutdown_step(
        {"stubborn", shutdown_phase::kick_clients, 50ms, 1, [cancelled_once]() -> awaitable<void> {
             co_await asio::this_coro::throw_if_cancelled(false);
             asio::steady_timer t(co_await asio::this_coro::executor);
             for (;;) {
                 t.expires_after(5ms);
                 auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                 // A cancellation that lands between two waits shows only in the state.
                 auto cs = co_await asio::this_coro::cancellation_state;
                 if (ec || cs.cancelled() != asio::cancellation_type::none) cancelled_once->store(true);
             }
         }});
    n.start();
    const auto begin = clock::now();
    auto report = n.stop();
    const auto took = clock::now() - begin;
    CHECK(cancelled_once->load());
    CHECK(names_of(report) ==
          std::vector<std::string>{"stubborn", "stop services", "cancel pending calls", "stop workers"});
    REQUIRE(report.steps.size() == 4);
    CHECK(report.steps[0].error ==
          "timed out after 50 ms and was still running 100 ms after its cancellation");
    CHECK(report.steps[3].ok);
    CHECK(took < 2s);
}

TEST_CASE("an on_stop() that overruns stop_services_timeout is cancelled and observes it") {
    node_config cfg = test_config("slow-stop", 2);
    cfg.stop_services_timeout = 100ms;
    node n(cfg);
    auto& s = n.add_service<slow_stop_service>(service_options{"slow", 1u, false, 0});
    n.start();
    auto observed = s.seen.get_future();
    auto report = n.stop();
    REQUIRE(observed.wait_for(2s) == std::future_status::ready);
    const auto o = observed.get();
    CHECK(o.ec == asio::error::operation_aborted);
    CHECK((o.state & asio::cancellation_type::terminal) != asio::cancellation_type::none);
    REQUIRE(report.steps.size() == 3);
    CHECK(report.steps[0].name == "stop services");
    CHECK(report.steps[0].error == "timed out after 100 ms");
    CHECK(report.steps[1].ok);
    CHECK(report.steps[2].ok);
}

TEST_CASE("stop services ends when the last on_stop() does, far before its deadline") {
    node_config cfg = test_config("quick-stop", 2);
    cfg.stop_services_timeout = 5000ms;
    node n(cfg);
    n.add_service<service>(service_options{"a", 0u, false, 0});
    n.add_service<service>(service_options{"b", 1u, false, 0});
    n.start();
    auto report = n.stop();
    REQUIRE(report.ok());
    REQUIRE(report.steps.size() == 3);
    CHECK(report.steps[0].name == "stop services");
    CHECK(report.steps[0].took < 1000ms);
}

TEST_CASE("wakeup: notify() from another thread wakes the waiter; cancellation ends the wait") {
    node n(test_config("wakeup", 2));
    n.start();
    std::atomic<int> value{0};
    wakeup w(n.worker_at(0).executor());
    auto waited = std::async(std::launch::async, [&] {
        return run_on(n, 0, [&]() -> awaitable<bool> {
            std::function<bool()> reached = [&] {
                return value.load() == 3;
            };
            co_return co_await w.until(std::move(reached));
        });
    });
    for (int i = 1; i <= 3; ++i) {
        value.store(i);
        w.notify();
    }
    CHECK(waited.get());

    // A wait that is cancelled returns false instead of waiting for its condition.
    asio::cancellation_signal stop_waiting;
    std::promise<bool> outcome;
    auto got = outcome.get_future();
    wakeup never(n.worker_at(1).executor());
    asio::post(n.worker_at(1).executor(), [&] {
        asio::co_spawn(n.worker_at(1).executor(), never.until([] { return false; }),
                       asio::bind_cancellation_slot(stop_waiting.slot(), [&](std::exception_ptr, bool done) {
                           outcome.set_value(done);
                       }));
        asio::post(n.worker_at(1).executor(), [&] { stop_waiting.emit(asio::cancellation_type::terminal); });
    });
    REQUIRE(got.wait_for(2s) == std::future_status::ready);
    CHECK_FALSE(got.get());
    n.stop();
}

#ifdef NDEBUG
TEST_CASE("node::stop() on one of the node's workers requests the stop and returns a failed report") {
    node n(test_config("self-stop", 1));
    n.start();
    auto report = run_on(n, 0, [&n]() -> awaitable<shutdown_report> { co_return n.stop(); });
    REQUIRE(report.steps.size() == 1);
    CHECK(report.steps[0].name == "stop");
    CHECK_FALSE(report.ok());
    CHECK(report.steps[0].error.find("request_stop()") != std::string::npos);
    n.wait();
    CHECK(n.last_shutdown().ok());
}
#endif

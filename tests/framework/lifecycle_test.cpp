#include "framework/node.hpp"

#include <catch2/catch.hpp>

#include "framework/timer.hpp"
#include "tests/framework/harness.hpp"
#include "tests/framework/test_services.hpp"

using namespace hearth;
using namespace hearth::testing;
using namespace std::chrono_literals;

namespace {

inline constexpr rpc::method<int, int> hang_m{"hang.forever"};
inline constexpr rpc::method<int, int> ping_m{"lc.ping"};

struct hanging_service : service {
    hanging_service() {
        handle(hang_m, [this](int) -> awaitable<int> {
            entered.store(true);
            asio::steady_timer t(co_await asio::this_coro::executor, clock::time_point::max());
            co_await t.async_wait(asio::use_awaitable);
            co_return 0;
        });
    }
    std::atomic<bool> entered{false};
};

struct lifecycle_service : service {
    lifecycle_service(std::vector<std::string>& log) : log_(log) {
        handle(ping_m, [this](int v) -> awaitable<int> {
            log_.push_back("ping " + std::to_string(v));
            co_return v;
        });
    }
    awaitable<void> on_start() override {
        log_.push_back("start begins");
        co_await sleep(20ms);  // messages that arrive meanwhile wait
        log_.push_back("start ends");
    }
    awaitable<void> on_stop() override {
        log_.push_back("stop");
        co_return;
    }
    std::vector<std::string>& log_;
};

}  // namespace

TEST_CASE("on_start runs before any message, on_stop at shutdown") {
    std::vector<std::string> log;
    {
        node n(test_config("life", 1));
        n.add_service<lifecycle_service>("lc", log);
        n.start();
        auto r =
            run_on(n, 0, []() -> awaitable<result<int>> { co_return co_await call(ping_m, "lc", 1, 1s); });
        REQUIRE(r);
        auto report = n.stop();
        CHECK(report.ok());
    }
    CHECK(log == std::vector<std::string>{"start begins", "start ends", "ping 1", "stop"});
}

TEST_CASE("stop() completes within its deadline while a handler hangs, and callers get cancelled") {
    node_config cfg = test_config("hung", 2);
    cfg.stop_services_timeout = 200ms;
    node n(cfg);
    auto& h = n.add_service<hanging_service>(service_options{"hang", 1u, false, 0});
    n.start();
    // A caller waits on the hung handler with a long timeout.
    auto result_promise = std::make_shared<std::promise<result<int>>>();
    auto outcome = result_promise->get_future();
    asio::co_spawn(
        n.worker_at(0).executor(),
        []() -> awaitable<result<int>> { co_return co_await call(hang_m, "hang", 1, 60s); },
        [result_promise](std::exception_ptr, result<int> r) { result_promise->set_value(std::move(r)); });
    REQUIRE(eventually([&] { return h.entered.load(); }));

    const auto begin = clock::now();
    auto report = n.stop();
    const auto took = clock::now() - begin;
    CHECK(took < 5s);
    REQUIRE(outcome.wait_for(1s) == std::future_status::ready);
    CHECK(outcome.get().code() == errc::cancelled);
    // Every framework step ran, in order.
    std::vector<std::string> names;
    for (auto& s : report.steps) names.push_back(s.name);
    CHECK(names == std::vector<std::string>{"stop services", "cancel pending calls", "stop workers"});
}

TEST_CASE("shutdown steps run in phase order; a failing or hanging step does not stop the rest") {
    node n(test_config("steps", 1));
    std::vector<std::string> ran;
    std::mutex m;
    auto record = [&](std::string s) {
        std::lock_guard lock(m);
        ran.push_back(std::move(s));
    };
    n.add_shutdown_step({"drain", shutdown_phase::drain_senders, 500ms, 0, [&]() -> awaitable<void> {
                             record("drain");
                             co_return;
                         }});
    n.add_shutdown_step({"kick", shutdown_phase::kick_clients, 500ms, 0, [&]() -> awaitable<void> {
                             record("kick");
                             throw std::runtime_error("kick failed");
                             co_return;
                         }});
    n.add_shutdown_step({"accept", shutdown_phase::stop_accepting, 50ms, 0, [&]() -> awaitable<void> {
                             record("accept");
                             asio::steady_timer t(co_await asio::this_coro::executor,
                                                  clock::time_point::max());
                             co_await t.async_wait(asio::use_awaitable);
                         }});
    n.start();
    auto report = n.stop();
    CHECK(ran == std::vector<std::string>{"accept", "kick", "drain"});
    REQUIRE(report.steps.size() == 6);
    CHECK(report.steps[0].name == "accept");
    CHECK_FALSE(report.steps[0].ok);
    CHECK(report.steps[0].error.find("timed out") != std::string::npos);
    CHECK_FALSE(report.steps[1].ok);
    CHECK(report.steps[1].error == "kick failed");
    CHECK(report.steps[2].ok);
    CHECK_FALSE(report.ok());
}

TEST_CASE("a ticker keeps a fixed rate: tick n is due at start + n * period, whatever the work costs") {
    node n(test_config("tick", 1));
    n.start();
    auto r = run_on(n, 0, []() -> awaitable<std::vector<std::pair<std::uint64_t, clock::duration>>> {
        const auto begin = clock::now();
        ticker t(co_await asio::this_coro::executor, 10ms);
        std::vector<std::pair<std::uint64_t, clock::duration>> ticks;
        for (int i = 0; i < 10; ++i) {
            co_await t.next();
            ticks.emplace_back(t.ticks(), clock::now() - begin);
            // Work that takes part of a period must not push later ticks back.
            const auto busy_until = clock::now() + 3ms;
            while (clock::now() < busy_until) {
            }
        }
        co_return ticks;
    });
    std::uint64_t previous = 0;
    for (auto [index, at] : r) {
        CHECK(index > previous);    // indices only move forward
        CHECK(at >= index * 10ms);  // never early
        previous = index;
    }
    // Ticks are indexed by wall time, not by count: after 10 ticks with 3 ms of work each, a
    // drifting timer (sleep(period) after the work) would give index 10 at 130 ms or later,
    // three periods behind; this one's last index is the elapsed periods. The ticker reads the
    // clock when it wakes, a little before `at` is taken: on a loaded machine the thread can be
    // preempted between the two across a period boundary, so one period of slack is allowed
    // (drift would show as three).
    const auto elapsed_periods = static_cast<std::uint64_t>(r.back().second / 10ms);
    CHECK(r.back().first <= elapsed_periods);
    CHECK(r.back().first + 1 >= elapsed_periods);
}

TEST_CASE("a late ticker reports the periods it missed") {
    node n(test_config("tick-late", 1));
    n.start();
    auto missed = run_on(n, 0, []() -> awaitable<std::uint64_t> {
        ticker t(co_await asio::this_coro::executor, 5ms);
        co_await t.next();
        co_await sleep(23ms);  // simulate a stall of more than four periods
        co_return co_await t.next();
    });
    CHECK(missed >= 4);
}

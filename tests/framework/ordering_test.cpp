#include "framework/service.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "tests/framework/harness.hpp"
#include "tests/framework/test_services.hpp"

using namespace hearth;
using namespace hearth::testing;
using namespace std::chrono_literals;

TEST_CASE("messages from one sender start in the order sent, across workers") {
    node n(test_config("order", 2));
    n.add_service<echo_service>(service_options{"echo", 1u, false, 0});
    n.start();
    constexpr int count = 5000;
    auto history = run_on(n, 0, []() -> awaitable<result<std::vector<int>>> {
        for (int i = 0; i < count; ++i) {
            auto r = notify(record_m, "echo", i);
            if (!r) co_return std::move(r).error();
        }
        co_return co_await call(history_m, "echo", 0, 5s);
    });
    REQUIRE(history);
    REQUIRE(history->size() == count);
    for (int i = 0; i < count; ++i) REQUIRE((*history)[i] == i);
}

TEST_CASE("handlers interleave at co_await unless the service is serial") {
    auto run = [](bool serial) {
        node n(test_config(serial ? "serial" : "interleaved", 1));
        service_options o;
        o.name = "echo";
        o.serial = serial;
        auto& echo = n.add_service<echo_service>(o);
        n.start();
        run_on(n, 0, []() -> awaitable<void> {
            // Three calls in flight at once; the first waits longest.
            using namespace boost::asio::experimental::awaitable_operators;
            wait_req a{60, 1}, b{30, 2}, c{1, 3};
            co_await (call(wait_m, "echo", a, 5s) && call(wait_m, "echo", b, 5s) &&
                      call(wait_m, "echo", c, 5s));
        });
        return std::tuple{echo.started, echo.finished, echo.max_in_flight};
    };

    SECTION("default: all three start in arrival order and finish by their wait") {
        auto [started, finished, max_in_flight] = run(false);
        CHECK(started == std::vector<int>{1, 2, 3});
        CHECK(finished == std::vector<int>{3, 2, 1});
        CHECK(max_in_flight == 3);
    }
    SECTION("serial: one at a time, in arrival order") {
        auto [started, finished, max_in_flight] = run(true);
        CHECK(started == std::vector<int>{1, 2, 3});
        CHECK(finished == std::vector<int>{1, 2, 3});
        CHECK(max_in_flight == 1);
    }
}

namespace {
constexpr int callers = 64, per_caller = 200;
}

TEST_CASE("calls across workers, many callers at once") {
    node n(test_config("cross", 2));
    n.add_service<echo_service>(service_options{"echo", 1u, false, 0});
    n.start();
    auto ok = run_on(n, 0, []() -> awaitable<int> {
        auto ex = co_await asio::this_coro::executor;
        auto total = std::make_shared<int>(0);
        auto remaining = std::make_shared<int>(callers);
        asio::steady_timer done(ex, clock::time_point::max());
        for (int c = 0; c < callers; ++c) {
            asio::co_spawn(
                ex,
                [c, total]() -> awaitable<void> {
                    for (int i = 0; i < per_caller; ++i) {
                        echo_req req{"c" + std::to_string(c), i};
                        auto r = co_await call(echo_m, "echo", req, 5s);
                        if (r && r->n == i && r->text == req.text) ++*total;
                    }
                },
                [remaining, &done](std::exception_ptr) {
                    if (--*remaining == 0) done.cancel();
                });
        }
        co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return *total;
    });
    CHECK(ok == callers * per_caller);
}

TEST_CASE("a timed-out call leaves the callee running; its late reply is dropped and counted") {
    node n(test_config("late", 2));
    auto& echo = n.add_service<echo_service>(service_options{"echo", 1u, false, 0});
    n.start();
    auto r = run_on(n, 0, []() -> awaitable<result<int>> {
        wait_req req{100, 9};
        co_return co_await call(wait_m, "echo", req, 10ms);
    });
    REQUIRE(r.code() == errc::timeout);
    REQUIRE(eventually([&] { return n.worker_at(0).stats().late_replies.load() == 1; }));
    // The callee ran to completion although nobody waited any more.
    auto finished = run_on(n, 1, [&echo]() -> awaitable<std::vector<int>> { co_return echo.finished; });
    CHECK(finished == std::vector<int>{9});
    CHECK(n.worker_at(0).calls().timeouts() == 1);
    CHECK(n.worker_at(0).calls().size() == 0);
}

TEST_CASE("two nodes in one process do not interfere") {
    node a(test_config("twin-a", 2));
    node b(test_config("twin-b", 2));
    a.add_service<echo_service>("echo");
    b.add_service<echo_service>("echo");
    b.add_service<echo_service>("only-b");
    a.start();
    b.start();
    auto ra = run_on(a, 0, []() -> awaitable<result<echo_resp>> {
        echo_req req{"a", 1};
        co_return co_await call(echo_m, "only-b", req, 1s);
    });
    CHECK(ra.code() == errc::not_found);  // b's services are not a's
    auto rb = run_on(b, 1, []() -> awaitable<result<echo_resp>> {
        echo_req req{"b", 2};
        co_return co_await call(echo_m, "only-b", req, 1s);
    });
    REQUIRE(rb);
    auto report = a.stop();
    CHECK(report.ok());
    // b keeps serving after a stopped.
    auto rb2 = run_on(b, 0, []() -> awaitable<result<echo_resp>> {
        echo_req req{"b", 3};
        co_return co_await call(echo_m, "echo", req, 1s);
    });
    REQUIRE(rb2);
    CHECK(rb2->n == 3);
}

TEST_CASE("duplicate or invalid service names are a clear error") {
    node n(test_config("names"));
    n.add_service<echo_service>("echo");
    CHECK_THROWS_WITH(n.add_service<echo_service>("echo"), Catch::Contains("already exists"));
    CHECK_THROWS_WITH(n.add_service<echo_service>("bad name"), Catch::Contains("not a valid service name"));
    CHECK_THROWS_WITH(n.add_service<echo_service>("a@b"), Catch::Contains("not a valid service name"));
    service_options o;
    o.name = "pinned";
    o.worker = 5;
    CHECK_THROWS_WITH(n.add_service<echo_service>(o), Catch::Contains("worker 5"));
}

TEST_CASE("a service added while running starts and serves") {
    node n(test_config("late-add", 2));
    n.start();
    n.add_service<echo_service>("echo");
    auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
        echo_req req{"late", 4};
        co_return co_await call(echo_m, "echo", req, 1s);
    });
    REQUIRE(r);
}

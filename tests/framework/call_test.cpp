#include "framework/call.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>

#include "tests/framework/harness.hpp"
#include "tests/framework/test_services.hpp"

using namespace hearth;
using namespace hearth::testing;
using namespace std::chrono_literals;

TEST_CASE("a call returns the typed reply") {
    node n(test_config("solo"));
    n.add_service<echo_service>("echo");
    n.start();
    auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
        echo_req req{"hello", 7};
        co_return co_await call(echo_m, "echo", req, 1s);
    });
    REQUIRE(r);
    CHECK(r->text == "hello");
    CHECK(r->n == 7);
    CHECK(r->served_by == "echo");
}

TEST_CASE("the address may name this node explicitly") {
    node n(test_config("self-1"));
    n.add_service<echo_service>("echo");
    n.start();
    auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
        echo_req req{"x", 1};
        co_return co_await call(echo_m, "echo@self-1", req, 1s);
    });
    REQUIRE(r);
    CHECK(r->text == "x");
}

TEST_CASE("a service's own calls carry its address as the source") {
    struct caller : service {
        awaitable<result<echo_resp>> go() {
            echo_req req{"via", 2};
            co_return co_await call(echo_m, "echo", req, 1s);
        }
    };
    node n(test_config("src", 2));
    n.add_service<echo_service>("echo");
    auto& c = n.add_service<caller>("caller");
    n.start();
    auto r = run_on(n, c.home().index(), [&c] { return c.go(); });
    REQUIRE(r);
    CHECK(r->served_by == "echo<-caller@src");
}

TEST_CASE("without an address a call goes to the method's own service on this node") {
    node n(test_config("own"));
    n.add_service<echo_service>("echo");  // echo_m is "echo.echo"
    n.start();
    auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
        echo_req req{"mine", 3};
        co_return co_await call(echo_m, req, 1s);
    });
    REQUIRE(r);
    CHECK(r->text == "mine");
    CHECK(r->served_by == "echo");
}

TEST_CASE("the emplacing call builds the request from its arguments") {
    node n(test_config("emplace"));
    n.add_service<echo_service>("echo");
    n.start();
    auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
        const std::string text = "built";
        co_return co_await call(echo_m, 1s, text, 4);  // echo_req(text, 4), no temporary here
    });
    REQUIRE(r);
    CHECK(r->text == "built");
    CHECK(r->n == 4);
    auto named = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
        co_return co_await call(echo_m, "echo@emplace", 1s);  // echo_req{}, the node named
    });
    REQUIRE(named);
    CHECK(named->text.empty());
    CHECK(named->n == 0);
}

TEST_CASE("a service's short call forms carry its address as the source") {
    struct caller : service {
        awaitable<result<echo_resp>> by_value() {
            echo_req req{"short", 5};
            co_return co_await call(echo_m, req, 1s);
        }
        awaitable<result<echo_resp>> emplacing() { co_return co_await call(echo_m, 1s, "e", 6); }
    };
    node n(test_config("short-src", 2));
    n.add_service<echo_service>("echo");
    auto& c = n.add_service<caller>("caller");
    n.start();
    auto a = run_on(n, c.home().index(), [&c] { return c.by_value(); });
    REQUIRE(a);
    CHECK(a->served_by == "echo<-caller@short-src");
    auto b = run_on(n, c.home().index(), [&c] { return c.emplacing(); });
    REQUIRE(b);
    CHECK(b->text == "e");
    CHECK(b->n == 6);
    CHECK(b->served_by == "echo<-caller@short-src");
}

TEST_CASE("a notify without an address goes to the method's own service") {
    node n(test_config("own-notify"));
    n.add_service<echo_service>("echo");  // record_m is "echo.record"
    n.start();
    auto ok = run_on(n, 0, []() -> awaitable<bool> { co_return notify(record_m, 41).has_value(); });
    CHECK(ok);
    auto h = run_on(
        n, 0, []() -> awaitable<result<std::vector<int>>> { co_return co_await call(history_m, 0, 1s); });
    REQUIRE(h);
    CHECK(*h == std::vector<int>{41});
}

TEST_CASE("every error code is provoked for real") {
    node n(test_config("errs"));
    auto& echo = n.add_service<echo_service>("echo");
    n.start();

    SECTION("not_found: no such service") {
        auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req;
            co_return co_await call(echo_m, "nobody", req, 1s);
        });
        REQUIRE(r.code() == errc::not_found);
        CHECK(r.error().message.find("nobody") != std::string::npos);
    }
    SECTION("not_found: no such method") {
        auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req;
            co_return co_await call(missing_m, "echo", req, 1s);
        });
        REQUIRE(r.code() == errc::not_found);
        CHECK(r.error().message.find("echo.missing") != std::string::npos);
    }
    SECTION("not_found: a malformed address") {
        auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req;
            co_return co_await call(echo_m, "bad address@", req, 1s);
        });
        REQUIRE(r.code() == errc::not_found);
    }
    SECTION("bad_request: the method is registered with other types") {
        auto r = run_on(n, 0, []() -> awaitable<result<int>> {
            co_return co_await call(echo_wrong_types_m, "echo", 5, 1s);
        });
        REQUIRE(r.code() == errc::bad_request);
    }
    SECTION("handler_failed: the handler throws, and the service keeps serving") {
        auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req{"boom"};
            co_return co_await call(fail_m, "echo", req, 1s);
        });
        REQUIRE(r.code() == errc::handler_failed);
        auto again = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req{"after"};
            co_return co_await call(echo_m, "echo", req, 1s);
        });
        REQUIRE(again);
        CHECK(n.worker_at(0).stats().handler_failures.load() == 1);
    }
    SECTION("remote_error: the handler's own code and message arrive intact") {
        auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req{"that"};
            co_return co_await call(refuse_m, "echo", req, 1s);
        });
        REQUIRE(r.code() == errc::remote_error);
        CHECK(r.error().app_code == "refused");
        CHECK(r.error().message == "I refuse that.");
    }
    SECTION("timeout: no reply in time") {
        auto r = run_on(n, 0, []() -> awaitable<result<int>> {
            wait_req req{200, 1};
            co_return co_await call(wait_m, "echo", req, 20ms);
        });
        REQUIRE(r.code() == errc::timeout);
    }
    SECTION("unreachable: another node without a cluster") {
        auto r = run_on(n, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req;
            co_return co_await call(echo_m, "echo@elsewhere", req, 1s);
        });
        REQUIRE(r.code() == errc::unreachable);
        CHECK(r.error().message.find("elsewhere") != std::string::npos);
    }
    SECTION("cancelled: the caller cancels the wait") {
        using namespace boost::asio::experimental::awaitable_operators;
        auto r = run_on(n, 0, []() -> awaitable<result<int>> {
            wait_req req{500, 2};
            auto outcome = co_await (call(wait_m, "echo", req, 5s) || sleep(10ms));
            if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
            co_return rpc::error{errc::cancelled, "the timer won"};
        });
        REQUIRE(r.code() == errc::cancelled);
        // The callee was not cancelled (at-most-once, no callee cancellation): it finishes.
        REQUIRE(eventually([&] { return n.worker_at(0).stats().late_replies.load() == 1; }));
        CHECK(echo.finished == std::vector<int>{2});
    }
    SECTION("overloaded: a full mailbox answers at once") {
        struct tiny : service {
            tiny() {
                set_mailbox_capacity(2);
                handle(wait_m, [](wait_req r) -> awaitable<int> {
                    co_await sleep(std::chrono::milliseconds(r.ms));
                    co_return r.tag;
                });
            }
        };
        node m(test_config("tiny", 1));
        m.add_service<tiny>("tiny");
        m.start();
        // The caller runs on the service's worker, so nothing starts until it yields: the
        // third message finds the mailbox (capacity 2) full, deterministically.
        auto outcomes = run_on(m, 0, []() -> awaitable<std::vector<errc>> {
            std::vector<errc> out;
            for (int i = 0; i < 3; ++i) {
                wait_req req{0, i};
                auto r = notify(wait_m, "tiny", req);
                out.push_back(r ? errc{} : r.code());
            }
            // Yield once: the mailbox drains, the handlers start, the bound frees up.
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            wait_req req{0, 3};
            auto c = co_await call(wait_m, "tiny", req, 1s);
            out.push_back(c ? errc{} : c.code());
            co_return out;
        });
        CHECK(outcomes == std::vector<errc>{errc{}, errc{}, errc::overloaded, errc{}});
    }
}

TEST_CASE("a mailbox bound holds under a flood from another worker") {
    struct slow : service {
        slow() {
            set_serial(true);
            set_mailbox_capacity(8);
            handle(wait_m, [](wait_req r) -> awaitable<int> {
                co_await sleep(std::chrono::milliseconds(r.ms));
                co_return r.tag;
            });
        }
    };
    node n(test_config("flood", 2));
    auto& s = n.add_service<slow>(service_options{"slow", 1u, false, 0});
    n.start();
    auto counts = run_on(n, 0, [&s]() -> awaitable<std::pair<int, int>> {
        int accepted = 0, overloaded = 0;
        for (int i = 0; i < 100; ++i) {
            wait_req req{50, i};
            auto r = notify(wait_m, "slow", req);
            if (r)
                ++accepted;
            else if (r.code() == errc::overloaded)
                ++overloaded;
            if (s.queued() > s.mailbox_capacity()) throw std::runtime_error("mailbox exceeded its bound");
        }
        co_return std::pair{accepted, overloaded};
    });
    CHECK(counts.first + counts.second == 100);
    CHECK(counts.second >= 100 - 8 - 1);  // serial: at most one started, 8 queued
    CHECK(counts.first <= 9);
}

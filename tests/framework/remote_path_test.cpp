#include "framework/remote_transport.hpp"

#include <catch2/catch.hpp>

#include "tests/framework/harness.hpp"
#include "tests/framework/loopback_transport.hpp"
#include "tests/framework/test_services.hpp"

using namespace hearth;
using namespace hearth::testing;
using namespace std::chrono_literals;

namespace {
/// Same route as echo_m but an int payload: the callee cannot decode it.
inline constexpr rpc::method<int, echo_resp> echo_as_int_m{"echo.echo"};

struct pair_of_nodes {
    node a{test_config("loop-a", 2)};
    node b{test_config("loop-b", 2)};
    std::shared_ptr<loopback_transport> ta = std::make_shared<loopback_transport>(a);
    std::shared_ptr<loopback_transport> tb = std::make_shared<loopback_transport>(b);
    pair_of_nodes() {
        b.add_service<echo_service>("echo");
        ta->connect(b);
        tb->connect(a);
        a.set_transport(ta);
        b.set_transport(tb);
        a.start();
        b.start();
    }
};
}  // namespace

TEST_CASE("remote calls through a transport behave like local ones") {
    pair_of_nodes p;
    SECTION("success, with the source address") {
        auto r = run_on(p.a, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req{"over", 3};
            co_return co_await call(echo_m, "echo@loop-b", req, 1s);
        });
        REQUIRE(r);
        CHECK(r->text == "over");
        CHECK(r->n == 3);
    }
    SECTION("bad_request: the payload does not decode") {
        auto r = run_on(p.a, 1, []() -> awaitable<result<echo_resp>> {
            co_return co_await call(echo_as_int_m, "echo@loop-b", 5, 1s);
        });
        REQUIRE(r.code() == errc::bad_request);
    }
    SECTION("remote_error keeps the handler's code and message") {
        auto r = run_on(p.a, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req{"it"};
            co_return co_await call(refuse_m, "echo@loop-b", req, 1s);
        });
        REQUIRE(r.code() == errc::remote_error);
        CHECK(r.error().app_code == "refused");
        CHECK(r.error().message == "I refuse it.");
    }
    SECTION("handler_failed, not_found (service), not_found (method)") {
        auto codes = run_on(p.a, 0, []() -> awaitable<std::vector<errc>> {
            echo_req req;
            std::vector<errc> out;
            out.push_back((co_await call(fail_m, "echo@loop-b", req, 1s)).code());
            out.push_back((co_await call(echo_m, "ghost@loop-b", req, 1s)).code());
            out.push_back((co_await call(missing_m, "echo@loop-b", req, 1s)).code());
            co_return out;
        });
        CHECK(codes == std::vector<errc>{errc::handler_failed, errc::not_found, errc::not_found});
    }
    SECTION("unreachable and overloaded come from the transport at once") {
        auto r = run_on(p.a, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req;
            co_return co_await call(echo_m, "echo@loop-z", req, 1s);
        });
        CHECK(r.code() == errc::unreachable);
        p.ta->set_overloaded(true);
        auto o = run_on(p.a, 0, []() -> awaitable<result<echo_resp>> {
            echo_req req;
            co_return co_await call(echo_m, "echo@loop-b", req, 1s);
        });
        CHECK(o.code() == errc::overloaded);
        echo_req req;
        CHECK(notify(p.a, record_m, "echo@loop-b", 1).code() == errc::overloaded);
    }
    SECTION("remote notifies arrive in order") {
        auto h = run_on(p.a, 0, []() -> awaitable<result<std::vector<int>>> {
            for (int i = 0; i < 100; ++i) (void)notify(record_m, "echo@loop-b", i);
            co_return co_await call(history_m, "echo@loop-b", 0, 1s);
        });
        REQUIRE(h);
        REQUIRE(h->size() == 100);
        for (int i = 0; i < 100; ++i) CHECK((*h)[i] == i);
    }
}

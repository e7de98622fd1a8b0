#include "framework/raw_call.hpp"

#include <catch2/catch.hpp>

#include "tests/framework/harness.hpp"
#include "tests/framework/loopback_transport.hpp"
#include "tests/framework/test_services.hpp"

using namespace hearth;
using namespace hearth::testing;
using namespace std::chrono_literals;

TEST_CASE("encoded calls reach typed handlers locally and remotely") {
    node a(test_config("raw-a", 2));
    node b(test_config("raw-b", 1));
    a.add_service<echo_service>("echo");
    b.add_service<echo_service>("echo");
    auto ta = std::make_shared<loopback_transport>(a);
    auto tb = std::make_shared<loopback_transport>(b);
    ta->connect(b);
    tb->connect(a);
    a.set_transport(ta);
    b.set_transport(tb);
    a.start();
    b.start();

    for (std::string address : {"echo", "echo@raw-b"}) {
        DYNAMIC_SECTION("address " << address) {
            auto r = run_on(a, 1, [address]() -> awaitable<result<std::string>> {
                std::string payload = R"({"text":"hi","n":5})";
                co_return co_await call_encoded(address, "echo.echo", rpc::codec::json, payload, 1s);
            });
            REQUIRE(r);
            auto doc = nlohmann::json::parse(*r);
            CHECK(doc["text"] == "hi");
            CHECK(doc["n"] == 5);

            auto msgpack = run_on(a, 0, [address]() -> awaitable<result<std::string>> {
                nlohmann::json req = {{"text", "mp"}, {"n", 1}};
                auto payload = rpc::encode(rpc::codec::msgpack, req);
                co_return co_await call_encoded(address, "echo.echo", rpc::codec::msgpack, payload, 1s);
            });
            REQUIRE(msgpack);
            CHECK(rpc::decode_json(rpc::codec::msgpack, *msgpack)->at("text") == "mp");

            auto bad = run_on(a, 0, [address]() -> awaitable<result<std::string>> {
                std::string payload = "{not json";
                co_return co_await call_encoded(address, "echo.echo", rpc::codec::json, payload, 1s);
            });
            CHECK(bad.code() == errc::bad_request);
            auto missing = run_on(a, 0, [address]() -> awaitable<result<std::string>> {
                std::string payload = "{}";
                co_return co_await call_encoded(address, "echo.nothing", rpc::codec::json, payload, 1s);
            });
            CHECK(missing.code() == errc::not_found);
            auto refused = run_on(a, 0, [address]() -> awaitable<result<std::string>> {
                std::string payload = R"({"text":"x","n":0})";
                co_return co_await call_encoded(address, "echo.refuse", rpc::codec::json, payload, 1s);
            });
            REQUIRE(refused.code() == errc::remote_error);
            CHECK(refused.error().app_code == "refused");
        }
    }
    SECTION("bad routes and addresses") {
        auto r = run_on(a, 0, []() -> awaitable<result<std::string>> {
            std::string payload = "{}";
            co_return co_await call_encoded("echo", "noroute", rpc::codec::json, payload, 1s);
        });
        CHECK(r.code() == errc::not_found);
        CHECK(notify_encoded(a, "echo", "echo.record", rpc::codec::json, "7"));
        CHECK(notify_encoded(a, "ghost", "echo.record", rpc::codec::json, "7").code() == errc::not_found);
        auto h = run_on(a, 0, []() -> awaitable<result<std::vector<int>>> {
            co_return co_await call(history_m, "echo", 0, 1s);
        });
        REQUIRE(h);
        CHECK(*h == std::vector<int>{7});
    }
}

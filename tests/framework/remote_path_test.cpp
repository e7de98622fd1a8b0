#include "framework/remote_transport.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <mutex>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "framework/metrics.hpp"
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

TEST_CASE("a remote request whose deadline passed before it started is not run") {
    node a(test_config("dl-a", 1));
    node b(test_config("dl-b", 1));
    service_options o;
    o.name = "echo";
    o.serial = true;  // the second request waits for the first
    auto& echo = b.add_service<echo_service>(o);
    auto ta = std::make_shared<loopback_transport>(a);
    ta->connect(b);
    a.set_transport(ta);
    a.start();
    b.start();
    auto codes = run_on(a, 0, []() -> awaitable<std::vector<errc>> {
        using namespace boost::asio::experimental::awaitable_operators;
        wait_req slow{150, 1}, quick{0, 2};
        auto [first, second] =
            co_await (call(wait_m, "echo@dl-b", slow, 2s) && call(wait_m, "echo@dl-b", quick, 20ms));
        co_return std::vector<errc>{first ? errc{} : first.code(), second ? errc{} : second.code()};
    });
    CHECK(codes == std::vector<errc>{errc{}, errc::timeout});
    auto finished = run_on(b, 0, [&echo]() -> awaitable<std::vector<int>> { co_return echo.finished; });
    CHECK(finished == std::vector<int>{1});  // request 2 expired in the queue and never ran
}

namespace {
/// Collects the replies of dispatched calls, by call id.
class reply_log final : public node::inbound_replies {
  public:
    void reply(std::uint64_t call_id, std::uint32_t, remote_outcome&& o) override {
        std::lock_guard lock(mutex_);
        codes_[call_id] = o.error ? o.error->code : errc{};
    }
    std::map<std::uint64_t, errc> codes() const {
        std::lock_guard lock(mutex_);
        return codes_;
    }

  private:
    mutable std::mutex mutex_;
    std::map<std::uint64_t, errc> codes_;
};
}  // namespace

TEST_CASE("an inbound batch runs in order and is cut at the mailbox bound") {
    node b(test_config("batch-b", 1));
    service_options o;
    o.name = "echo";
    o.mailbox_capacity = 100;
    b.add_service<echo_service>(o);
    b.start();
    auto replies = std::make_shared<reply_log>();
    // 150 requests, odd ones calls: dispatched from the service's own worker, so no handler
    // can start (and free a place) before the whole batch is in.
    run_on(b, 0, [&b, replies]() -> awaitable<void> {
        std::vector<std::string> payloads;
        for (int i = 0; i < 150; ++i) payloads.push_back(std::to_string(i));
        std::vector<node::inbound_entry> entries(150);
        for (int i = 0; i < 150; ++i) {
            entries[i].route = record_m.route;
            entries[i].payload = payloads[i];
            entries[i].source = "caller";
            entries[i].one_way = i % 2 == 0;
            entries[i].call_id = static_cast<std::uint64_t>(i);
        }
        node::inbound_batch batch;
        batch.service = "echo";
        batch.source_node = "batch-a";
        batch.entries = entries;
        batch.replies = replies;
        transport_host(b).dispatch_inbound(std::move(batch));
        co_return;
    });
    auto history = run_on(b, 0, []() -> awaitable<result<std::vector<int>>> {
        co_return co_await call(history_m, "echo", 0, 1s);
    });
    REQUIRE(history);
    std::vector<int> expected(100);
    for (int i = 0; i < 100; ++i) expected[i] = i;
    CHECK(*history == expected);  // the first 100, in order, across the 64-request blocks
    auto codes = replies->codes();
    REQUIRE(codes.size() == 75);
    for (auto [id, code] : codes) CHECK(code == (id < 100 ? errc{} : errc::overloaded));
    auto& refused = b.metrics().counter("hearth_inbound_refused_total", "");
    CHECK(refused.value() == 25);  // the refused notifies: nobody to answer, so counted
}

TEST_CASE("inbound batches that never ran are freed with their node") {
    // The node never starts: its batches stay in the mailbox and are disposed of by teardown
    // (the sanitizer build checks nothing leaks).
    auto replies = std::make_shared<reply_log>();
    {
        node b(test_config("batch-c", 1));
        b.add_service<echo_service>("echo");
        std::string payload = "7";
        std::vector<node::inbound_entry> entries(70);
        for (auto& e : entries) {
            e.route = record_m.route;
            e.payload = payload;
            e.one_way = false;
            e.client = std::make_shared<client_origin>();
        }
        node::inbound_batch batch;
        batch.service = "echo";
        batch.entries = entries;
        batch.replies = replies;
        transport_host(b).dispatch_inbound(std::move(batch));
    }
    CHECK(replies.use_count() == 1);  // the blocks that held it are gone
    CHECK(replies->codes().empty());
}

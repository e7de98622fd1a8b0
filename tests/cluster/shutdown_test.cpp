// Graceful shutdown of a cluster node with a hung peer (its link blackholed by the fault proxy,
// a call to it in flight) and a hung handler (an on_stop and a handler that never return): the
// shutdown ends within the sum of its step deadlines, reports the failed steps by name, and the
// other peers see exactly one node_left.
#include "cluster/cluster.hpp"

#include <catch2/catch.hpp>

#include "framework/timer.hpp"
#include "tests/cluster/cluster_fixture.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using hearth::testing::eventually;

namespace {

inline constexpr rpc::method<std::string, std::string> forever{"hang.forever"};

class hang_service : public service {
  public:
    hang_service() { handle(forever, &hang_service::on_forever); }
    std::atomic<int> entered{0};

  protected:
    awaitable<void> on_stop() override {
        const std::chrono::nanoseconds forever_ns = std::chrono::hours(1);
        co_await try_sleep(forever_ns);
    }

  private:
    awaitable<result<std::string>> on_forever(std::string) {
        entered.fetch_add(1);
        const std::chrono::nanoseconds forever_ns = std::chrono::hours(1);
        co_await try_sleep(forever_ns);
        co_return std::string("never");
    }
};

}  // namespace

TEST_CASE("shutdown with a hung peer and a hung handler ends within its deadlines; one node_left") {
    fixture f;
    f.add("b");
    f.add("c");
    auto& proxy = f.proxy_to("b");

    auto node_cfg = hearth::testing::test_config("a", 2);
    node_cfg.stop_services_timeout = 300ms;
    auto a = std::make_unique<hearth::node>(node_cfg);
    auto& hang = a->add_service<hang_service>("hang");
    a->add_service<hearth::testing::echo_service>("echo");
    auto ca = hearth::cluster::cluster::create(*a, fast_options());
    auto a_port = ca->listen(endpoint{"127.0.0.1", 0});
    REQUIRE(a_port);

    auto cfg = f.config(1000ms);  // slow heartbeats: the blackhole stays undetected during shutdown
    cfg.nodes["a"] = endpoint{"127.0.0.1", *a_port};
    auto a_cfg = cfg;
    a_cfg.nodes["b"] = endpoint{"127.0.0.1", proxy.port()};
    auto c_events = f.at("c").c->members().subscribe();
    f.start("b", cfg);
    f.start("c", cfg);
    REQUIRE(ca->start(a_cfg));
    a->start();
    REQUIRE(wait_up(*ca, "b"));
    REQUIRE(wait_up(*ca, "c"));
    REQUIRE(wait_event(*c_events, membership_event_kind::node_up, "a"));

    // The hung peer: b's link swallows everything; a call to b is in flight and never answered.
    proxy.set_blackhole(true);
    a->spawn(0, []() -> awaitable<void> {
        hearth::testing::echo_req req{"lost", 1};
        const std::chrono::milliseconds timeout(60000);
        auto r = co_await hearth::call(hearth::testing::echo_m, "echo@b", req, timeout);
        (void)r;
    });
    REQUIRE(eventually([&] { return ca->stats("b")->in_flight == 1; }, 5000ms));
    // The hung handler: a local call whose handler never returns.
    a->spawn(1, []() -> awaitable<void> {
        std::string req = "x";
        const std::chrono::milliseconds timeout(60000);
        auto r = co_await hearth::call(forever, "hang", req, timeout);
        (void)r;
    });
    REQUIRE(eventually([&] { return hang.entered.load() == 1; }, 5000ms));

    // Deadlines: announce leave 1000 + drain senders 2000 + stop services 300 + cancel 1000.
    const auto deadline_sum = 4300ms;
    const auto t0 = std::chrono::steady_clock::now();
    const auto report = a->stop();
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took < deadline_sum + 500ms);
    CHECK_FALSE(report.ok());
    std::map<std::string, shutdown_report::step_outcome> steps;
    for (const auto& s : report.steps) steps[s.name] = s;
    REQUIRE(steps.count("stop services"));
    CHECK_FALSE(steps["stop services"].ok);
    CHECK(steps["stop services"].error.find("timed out") != std::string::npos);
    REQUIRE(steps.count("cluster: announce leave"));
    REQUIRE(steps.count("cluster: drain senders"));
    REQUIRE(steps.count("stop workers"));
    CHECK(steps["stop workers"].ok);
    CHECK(report.steps.back().name == "stop workers");

    // c saw the leave once, and nothing else about a afterwards (no node_down for a node that left).
    REQUIRE(wait_event(*c_events, membership_event_kind::node_left, "a"));
    ca.reset();
    a.reset();
    int later_about_a = 0;
    while (auto e = c_events->wait_for(300ms))
        if (e->node == "a") ++later_about_a;
    CHECK(later_about_a == 0);
    CHECK(f.at("c").c->members().event_count(membership_event_kind::node_left) == 1);
    CHECK(f.at("c").c->members().state("a") == node_state::left);
}

TEST_CASE(
    "a healthy node's leave and drain steps end as soon as every leave is written and every queue is empty") {
    fixture f;
    f.add("a");
    f.add("b");
    auto cfg = f.config();
    f.start("a", cfg);
    f.start("b", cfg);
    REQUIRE(wait_up(*f.at("a").c, "b"));
    REQUIRE(wait_up(*f.at("b").c, "a"));
    // A call answered just before the stop: nothing is left in flight.
    const bool answered = hearth::testing::run_on(*f.at("a").n, 0, []() -> awaitable<bool> {
        hearth::testing::echo_req req{"x", 1};
        const std::chrono::milliseconds timeout(5000);
        auto r = co_await hearth::call(hearth::testing::echo_m, "echo@b", req, timeout);
        co_return r.has_value();
    });
    REQUIRE(answered);

    const auto report = f.at("a").n->stop();
    CHECK(report.ok());
    std::map<std::string, shutdown_report::step_outcome> steps;
    for (const auto& s : report.steps) steps[s.name] = s;
    REQUIRE(steps.count("cluster: announce leave"));
    REQUIRE(steps.count("cluster: drain senders"));
    // Woken by the links themselves: far below the steps' own limits (800 ms and 1500 ms).
    CHECK(steps["cluster: announce leave"].took < 300ms);
    CHECK(steps["cluster: drain senders"].took < 300ms);
}

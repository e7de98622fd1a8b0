#include "framework/metrics.hpp"

#include <catch2/catch.hpp>

using namespace hearth;

TEST_CASE("metrics render in the Prometheus text format") {
    metrics m;
    m.counter("hearth_calls_total", "Calls sent.", {{"code", "ok"}}).add(3);
    m.counter("hearth_calls_total", "Calls sent.", {{"code", "timeout"}}).add();
    m.gauge("hearth_sessions", "Connected sessions.").set(12);
    auto& h = m.histogram("hearth_call_seconds", "Call latency.", {0.001, 0.01});
    h.observe(0.0005);
    h.observe(0.005);
    h.observe(5);
    m.add_collector([](metrics_writer& w) {
        w.family("hearth_mailbox_depth", "Queued messages.", metric_type::gauge);
        w.sample("hearth_mailbox_depth", {{"worker", "0"}}, 4);
    });
    const auto text = m.render();
    CHECK_THAT(text,
               Catch::Contains("# HELP hearth_calls_total Calls sent.\n# TYPE hearth_calls_total counter\n"));
    CHECK_THAT(text, Catch::Contains("hearth_calls_total{code=\"ok\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("hearth_calls_total{code=\"timeout\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("hearth_sessions 12\n"));
    CHECK_THAT(text, Catch::Contains("hearth_call_seconds_bucket{le=\"0.001\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("hearth_call_seconds_bucket{le=\"0.01\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("hearth_call_seconds_bucket{le=\"+Inf\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("hearth_call_seconds_count 3\n"));
    CHECK_THAT(text,
               Catch::Contains("# TYPE hearth_mailbox_depth gauge\nhearth_mailbox_depth{worker=\"0\"} 4\n"));
    CHECK_THROWS(m.gauge("hearth_calls_total", "wrong type"));
}

// /metrics of live cluster nodes, parsed: HELP and TYPE lines, and the cluster counters
// (reloads, reconnects, misaddressed frames) and link gauges moving with what happens.
#include "cluster/admin_routes.hpp"

#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "cluster/frame.hpp"
#include "cluster/handshake.hpp"
#include "tests/cluster/cluster_fixture.hpp"
#include "tests/cluster/raw_peer.hpp"
#include "tests/framework/http_client.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using hearth::testing::eventually;
using hearth::testing::http_request;
namespace net = boost::asio;

namespace {

constexpr const char* token = "adm1n";

/// A parsed Prometheus text exposition: samples by "name{labels}" and the declared families.
struct scrape {
    std::map<std::string, double> samples;
    std::map<std::string, std::string> types;  // family -> counter|gauge|histogram
    std::map<std::string, std::string> help;

    explicit scrape(const std::string& text) {
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            if (line.rfind("# HELP ", 0) == 0) {
                auto rest = line.substr(7);
                auto sp = rest.find(' ');
                help[rest.substr(0, sp)] = rest.substr(sp + 1);
                continue;
            }
            if (line.rfind("# TYPE ", 0) == 0) {
                auto rest = line.substr(7);
                auto sp = rest.find(' ');
                types[rest.substr(0, sp)] = rest.substr(sp + 1);
                continue;
            }
            REQUIRE(line[0] != '#');
            const auto sp = line.rfind(' ');
            REQUIRE(sp != std::string::npos);
            samples[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
        }
    }
    double at(const std::string& key) const {
        auto it = samples.find(key);
        return it == samples.end() ? -1 : it->second;
    }
};

}  // namespace

TEST_CASE("metrics of live cluster nodes: families declared, counters move") {
    fixture f;
    f.add("a");
    f.add("b");
    f.add("c");
    auto& proxy = f.proxy_to("b");
    auto base = f.config();
    base.nodes.erase("c");
    base.nodes["x"] = std::nullopt;  // the raw peer's name
    auto a_cfg = base;
    a_cfg.nodes["b"] = endpoint{"127.0.0.1", proxy.port()};  // a reaches b through the proxy
    f.start("a", a_cfg);
    f.start("b", base);
    auto& a = *f.at("a").c;
    admin_config ac;
    ac.token = token;
    admin_server admin(*f.at("a").n, ac);
    register_admin_routes(admin, a);
    admin.start();
    auto get_metrics = [&] {
        auto r = http_request(admin.port(), "GET", "/metrics", {}, token);
        REQUIRE(r.status == 200);
        CHECK(r.content_type.find("text/plain") == 0);
        return scrape(r.body);
    };
    REQUIRE(wait_up(a, "b"));
    REQUIRE(echo_call(*f.at("a").n, "echo@b", "hello"));

    auto before = get_metrics();
    for (const char* family :
         {"hearth_cluster_reloads_total", "hearth_cluster_misaddressed_frames_total",
          "hearth_cluster_reconnects_total", "hearth_calls_total", "hearth_cluster_handshake_failures_total"})
        CHECK(before.types[family] == "counter");
    for (const char* family :
         {"hearth_cluster_link_up", "hearth_cluster_link_state", "hearth_cluster_queue_depth",
          "hearth_cluster_in_flight", "hearth_mailbox_depth"})
        CHECK(before.types[family] == "gauge");
    CHECK(before.types["hearth_call_duration_seconds"] == "histogram");
    for (const auto& [family, type] : before.types) {
        CHECK_FALSE(before.help[family].empty());
        if (type == "counter") CHECK(family.size() > 6);
        if (type == "counter") CHECK(family.substr(family.size() - 6) == "_total");
    }
    CHECK(before.at("hearth_cluster_reloads_total") == 0);
    CHECK(before.at("hearth_cluster_misaddressed_frames_total") == 0);
    CHECK(before.at("hearth_cluster_link_up{peer=\"b\"}") == 1);
    CHECK(before.at("hearth_cluster_reconnects_total{peer=\"b\"}") == 0);

    // Reload: add c.
    f.start("c", f.config());
    auto with_c = a_cfg;
    with_c.nodes["c"] = endpoint{"127.0.0.1", f.at("c").port};
    auto j = with_c.to_public_json();
    j["secret"] = with_c.secret;
    REQUIRE(http_request(admin.port(), "POST", "/cluster/reload", j.dump(), token).status == 200);
    CHECK(get_metrics().at("hearth_cluster_reloads_total") == 1);
    // The same again is not a reload that changed anything.
    REQUIRE(http_request(admin.port(), "POST", "/cluster/reload", j.dump(), token).status == 200);
    CHECK(get_metrics().at("hearth_cluster_reloads_total") == 1);

    // Reconnect: the proxy resets a's link to b; the sender tears down and comes back.
    auto events = a.members().subscribe();
    proxy.reset_all();
    REQUIRE(wait_event(*events, membership_event_kind::node_up, "b"));
    // `node_up` can come from b's inbound link before this node's sender is back: wait for the
    // sender's own link before reading its counters.
    REQUIRE(wait_sender_up(a, "b"));
    REQUIRE(hearth::testing::eventually([&] { return a.stats("b")->links_up >= 2; }));
    // c was added by the reload above and is reached directly: its link comes up on its own
    // schedule, so wait for it too before reading its gauge.
    REQUIRE(wait_sender_up(a, "c"));
    auto after_reset = get_metrics();
    CHECK(after_reset.at("hearth_cluster_reconnects_total{peer=\"b\"}") >= 1);
    CHECK(after_reset.at("hearth_cluster_link_up{peer=\"b\"}") == 1);
    CHECK(after_reset.at("hearth_cluster_link_up{peer=\"c\"}") == 1);

    // Misaddressed: frames for another node and for an old incarnation.
    raw_peer p(f.at("a").port);
    const auto welcome = p.handshake(with_c, "x", "a");
    REQUIRE(std::holds_alternative<std::uint64_t>(welcome));
    const auto incarnation = std::get<std::uint64_t>(welcome);
    p.send_call("a", incarnation ^ 1, 1);
    p.send_call("zzz", incarnation, 2);
    REQUIRE(eventually([&] { return a.misaddressed_frames() == 2; }, 5000ms));
    auto last = get_metrics();
    CHECK(last.at("hearth_cluster_misaddressed_frames_total") == 2);
    CHECK(last.at("hearth_calls_total{code=\"ok\"}") >= 1);
    // Counters never go down.
    for (const auto& [key, value] : before.samples) {
        const auto name = key.substr(0, key.find('{'));
        if (before.types[name] == "counter" && last.samples.count(key)) CHECK(last.at(key) >= value);
    }
    admin.stop();
    f.at("a").n->stop();
}

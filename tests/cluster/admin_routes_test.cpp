#include "cluster/admin_routes.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "tests/cluster/cluster_fixture.hpp"
#include "tests/framework/http_client.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using hearth::testing::eventually;
using hearth::testing::http_request;
using hearth::testing::http_result;
using nlohmann::json;

namespace {

constexpr const char* token = "adm1n";

/// Nodes a, b, c in one process; a and b run, c listens and waits to be added; node a has an
/// admin endpoint with the cluster routes.
struct admin_cluster {
    fixture f;
    std::unique_ptr<admin_server> admin;
    std::string config_file;

    explicit admin_cluster(std::optional<std::string> file = std::nullopt) : config_file(file.value_or("")) {
        f.add("a");
        f.add("b");
        f.add("c");
        auto base = config_without("c");
        f.start("a", base);
        f.start("b", base);
        admin_config ac;
        ac.token = token;
        admin = std::make_unique<admin_server>(*f.at("a").n, ac);
        register_admin_routes(*admin, *f.at("a").c, file);
        admin->start();
        REQUIRE(wait_sender_up(*f.at("a").c, "b"));
    }
    // admin_server::stop() posts the close to the node's worker: stop the node before the
    // server is destroyed so that post cannot outlive it.
    ~admin_cluster() {
        admin->stop();
        f.at("a").n->stop();
    }

    cluster_config config_without(const std::string& name) const {
        auto c = f.config();
        c.nodes.erase(name);
        return c;
    }
    http_result post_reload(const std::string& body, const std::string& query = "",
                            const std::string& tok = token) {
        return http_request(admin->port(), "POST", "/cluster/reload" + query, body, tok);
    }
    json get_cluster() {
        auto r = http_request(admin->port(), "GET", "/cluster", {}, token);
        REQUIRE(r.status == 200);
        return json::parse(r.body);
    }
};

std::string to_text(const cluster_config& c) {
    auto j = c.to_public_json();
    j["secret"] = c.secret;
    return j.dump();
}

json node_entry(const json& view, const std::string& name) {
    for (const auto& n : view["nodes"])
        if (n["name"] == name) return n;
    return json();
}

std::vector<std::string> names(const json& list) {
    std::vector<std::string> out;
    for (const auto& e : list)
        out.push_back(e.is_object() ? e.value("name", e.value("node", "")) : e.get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("admin /cluster: every known node with its state, since when and link stats") {
    admin_cluster t;
    auto view = t.get_cluster();
    CHECK(view["node"] == "a");
    CHECK(view["cluster"] == "test");
    CHECK(view["config"]["secret"] == "***");
    auto b = node_entry(view, "b");
    REQUIRE(b.is_object());
    CHECK(b["state"] == "up");
    CHECK(b["address"] == "127.0.0.1:" + std::to_string(t.f.at("b").port));
    CHECK(b["since"].get<std::string>().size() == 24);
    CHECK(b["link"]["state"] == "up");
    CHECK(b["link"]["links_up"] == 1);
    CHECK(b["services"] == json::array({"echo"}));
    auto a = node_entry(view, "a");
    CHECK(a["self"] == true);
    CHECK(a["state"] == "self");
    CHECK(node_entry(view, "c").is_null());
}

TEST_CASE("admin /cluster: auth, bad JSON, wrong method, unknown route") {
    admin_cluster t;
    const auto port = t.admin->port();
    CHECK(http_request(port, "GET", "/cluster").status == 401);
    CHECK(http_request(port, "GET", "/cluster", {}, "wrong").status == 403);
    auto body = to_text(t.f.config());
    CHECK(t.post_reload(body, "", "").status == 401);
    CHECK(t.post_reload(body, "", "wrong").status == 403);
    auto bad = t.post_reload("{\"cluster\": ");
    CHECK(bad.status == 400);
    CHECK(json::parse(bad.body)["error"].get<std::string>().find("unchanged") != std::string::npos);
    CHECK(http_request(port, "GET", "/cluster/reload", {}, token).status == 405);
    CHECK(http_request(port, "DELETE", "/cluster", {}, token).status == 405);
    CHECK(http_request(port, "GET", "/cluster/nope", {}, token).status == 404);
    CHECK(t.post_reload(body, "?dry_run=maybe").status == 400);
    // Empty body without a configuration file to re-read.
    auto empty = t.post_reload("");
    CHECK(empty.status == 400);
    CHECK(json::parse(empty.body)["error"].get<std::string>().find("configuration file") !=
          std::string::npos);
    CHECK(t.f.at("a").c->reload_count() == 0);
}

TEST_CASE("admin /cluster/reload: add, same twice, dry run, change address, remove, invalid") {
    admin_cluster t;
    auto& a = *t.f.at("a").c;
    auto events = a.members().subscribe();
    const auto full = t.f.config();  // a, b, c
    t.f.start("c", full);

    {
        auto dry = t.post_reload(to_text(full), "?dry_run=1");
        REQUIRE(dry.status == 200);
        auto d = json::parse(dry.body);
        CHECK(d["applied"] == false);
        CHECK(d["dry_run"] == true);
        CHECK(names(d["added"]) == std::vector<std::string>{"c"});
        CHECK(a.stats("c") == std::nullopt);

        auto r = t.post_reload(to_text(full));
        REQUIRE(r.status == 200);
        d = json::parse(r.body);
        CHECK(d["applied"] == true);
        CHECK(names(d["added"]) == std::vector<std::string>{"c"});
        CHECK(names(d["unchanged"]) == std::vector<std::string>{"a", "b"});
        CHECK(d["removed"].empty());
        CHECK(d["changed"].empty());
        REQUIRE(wait_event(*events, membership_event_kind::node_up, "c"));
        CHECK(node_entry(t.get_cluster(), "c")["state"] == "up");
        CHECK(a.reload_count() == 1);

        auto again = t.post_reload(to_text(full));
        REQUIRE(again.status == 200);
        auto d2 = json::parse(again.body);
        CHECK(d2["applied"] == false);
        CHECK(d2["added"].empty());
        CHECK(d2["removed"].empty());
        CHECK(d2["changed"].empty());
        CHECK(a.reload_count() == 1);
        CHECK(a.members().state("c") == node_state::up);
    }

    {  // change address: b behind a proxy
        auto& proxy = t.f.proxy_to("b");
        auto moved = full;
        moved.nodes["b"] = endpoint{"127.0.0.1", proxy.port()};
        auto r = t.post_reload(to_text(moved));
        REQUIRE(r.status == 200);
        auto d = json::parse(r.body);
        REQUIRE(d["changed"].size() == 1);
        CHECK(d["changed"][0]["node"] == "b");
        CHECK(d["changed"][0]["to"] == "127.0.0.1:" + std::to_string(proxy.port()));
        REQUIRE(wait_event(*events, membership_event_kind::node_address_changed, "b"));
        REQUIRE(eventually([&] { return a.stats("b") && a.stats("b")->state == link_state::up; }, 5000ms));
        CHECK(node_entry(t.get_cluster(), "b")["address"] == "127.0.0.1:" + std::to_string(proxy.port()));
        CHECK(echo_call(*t.f.at("a").n, "echo@b", "via proxy"));

        // remove c
        auto without_c = moved;
        without_c.nodes.erase("c");
        auto rm = t.post_reload(to_text(without_c));
        REQUIRE(rm.status == 200);
        CHECK(names(json::parse(rm.body)["removed"]) == std::vector<std::string>{"c"});
        REQUIRE(wait_event(*events, membership_event_kind::node_removed, "c"));
        CHECK(a.members().state("c") == node_state::removed);
        auto view = t.get_cluster();
        CHECK(node_entry(view, "c")["state"] == "removed");
        CHECK(node_entry(view, "c")["configured"] == false);
        CHECK(echo_call(*t.f.at("a").n, "echo@c", "gone").code() == rpc::errc::unreachable);
        const auto count = a.reload_count();
        const auto before = a.config();

        // invalid configurations: 400 naming the problem, nothing changes
        auto no_self = without_c;
        no_self.nodes.erase("a");
        auto r1 = t.post_reload(to_text(no_self));
        CHECK(r1.status == 400);
        CHECK(json::parse(r1.body)["error"].get<std::string>().find("'a'") != std::string::npos);
        auto r2 =
            t.post_reload(R"({"cluster":"test","secret":"s","nodes":{"a":"127.0.0.1:1","bad.name":null}})");
        CHECK(r2.status == 400);
        CHECK(json::parse(r2.body)["error"].get<std::string>().find("bad.name") != std::string::npos);
        auto r3 = t.post_reload(R"({"cluster":"test","secret":"s","nodes":{"a":"127.0.0.1:99999"}})");
        CHECK(r3.status == 400);
        auto r4 = t.post_reload(R"({"cluster":"test","nodes":{"a":"127.0.0.1:1"}})");
        CHECK(r4.status == 400);
        CHECK(json::parse(r4.body)["error"].get<std::string>().find("secret") != std::string::npos);
        CHECK(t.post_reload("[1,2,3]").status == 400);
        CHECK(a.reload_count() == count);
        CHECK(a.config() == before);
        CHECK(echo_call(*t.f.at("a").n, "echo@b", "still there"));
    }
}

TEST_CASE("admin /cluster/reload: an empty body re-reads the configuration file") {
    const std::string path = "hearth_admin_reload_test_" + std::to_string(::getpid()) + ".json";
    admin_cluster t(path);
    auto& a = *t.f.at("a").c;
    auto full = t.f.config();
    t.f.start("c", full);
    {
        json file;
        file["admin"] = json::object({{"token", "x"}});
        file["cluster"] = json::parse(to_text(full));
        std::ofstream(path) << file.dump(2);
    }
    auto r = t.post_reload("");
    REQUIRE(r.status == 200);
    auto d = json::parse(r.body);
    CHECK(d["source"] == path);
    CHECK(names(d["added"]) == std::vector<std::string>{"c"});
    REQUIRE(wait_up(a, "c"));
    std::ofstream(path) << "{ not json";
    auto bad = t.post_reload("");
    CHECK(bad.status == 400);
    CHECK(json::parse(bad.body)["error"].get<std::string>().find(path) != std::string::npos);
    CHECK(a.config() == full);
    std::remove(path.c_str());
}

TEST_CASE(
    "admin /cluster/reload: concurrent reloads are serialized; calls to unchanged nodes keep succeeding") {
    admin_cluster t;
    auto& a = *t.f.at("a").c;
    const auto with_c = t.f.config();
    const auto without_c = t.config_without("c");
    t.f.start("c", with_c);

    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, failed{0};
    std::thread caller([&] {
        int i = 0;
        while (!stop.load()) {
            auto r = echo_call(*t.f.at("a").n, "echo@b", "call " + std::to_string(i++));
            (r ? ok : failed).fetch_add(1);
        }
    });

    constexpr int threads = 4, rounds = 6;
    std::atomic<int> statuses_ok{0};
    std::vector<std::thread> reloaders;
    for (int k = 0; k < threads; ++k)
        reloaders.emplace_back([&, k] {
            for (int i = 0; i < rounds; ++i) {
                const auto& cfg = (i + k) % 2 ? with_c : without_c;
                if (t.post_reload(to_text(cfg)).status == 200) statuses_ok.fetch_add(1);
            }
        });
    for (auto& th : reloaders) th.join();
    // A final, known state: with c.
    REQUIRE(t.post_reload(to_text(with_c)).status == 200);
    REQUIRE(wait_up(a, "c"));
    stop = true;
    caller.join();

    CHECK(statuses_ok == threads * rounds);
    CHECK(failed == 0);
    CHECK(ok > 0);
    CHECK(a.config() == with_c);
    CHECK(a.members().state("b") == node_state::up);
    // b's link was never touched: one link, no reconnect.
    CHECK(a.stats("b")->links_up == 1);
    CHECK(echo_call(*t.f.at("a").n, "echo@c", "back"));
}

TEST_CASE("admin /cluster: socket and reconnect counts are the peer's, across senders reloads re-create") {
    admin_cluster t;
    auto& ac = *t.f.at("a").c;
    const auto with_b = t.config_without("c");
    const auto without_b = [&] {
        auto c = with_b;
        c.nodes.erase("b");
        return c;
    }();
    for (int i = 0; i < 3; ++i) {
        REQUIRE(ac.reload(without_b));
        REQUIRE(ac.reload(with_b));
    }
    REQUIRE(wait_sender_up(ac, "b"));
    auto link = node_entry(t.get_cluster(), "b")["link"];
    REQUIRE(link.is_object());
    CHECK(link["links_up"] == 1);    // this sender's
    CHECK(link["reconnects"] >= 1);  // the peer's: the re-created sender's first link counts
    CHECK(link["live_sockets"] == 1);
    CHECK(link["max_live_sockets"] == 1);  // never two sockets to b, whatever sender held them
    CHECK(link["round_trip_us"].is_number_unsigned());
    CHECK(link["clock_offset_us"].is_number_integer());
}

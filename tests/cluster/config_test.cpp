#include "cluster/config.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

using namespace hearth::cluster;

namespace {

// Expects a bad_config failure whose message contains `needle`.
void require_rejected(std::string_view text, std::string_view needle) {
    INFO(text);
    auto cfg = parse_config(text);
    REQUIRE_FALSE(cfg);
    CHECK(cfg.error() == errc::bad_config);
    INFO(cfg.error().message);
    CHECK(cfg.error().message.find(needle) != std::string::npos);
}

cluster_config must_parse(std::string_view text) {
    auto cfg = parse_config(text);
    if (!cfg) FAIL(cfg.error().message);
    return std::move(cfg).value();
}

}  // namespace

TEST_CASE("a full configuration parses with every field") {
    const auto cfg = must_parse(R"({"cluster":"demo","secret":"s3cret","codec":"msgpack","max_frame":65536,
        "heartbeat_ms":250,"nodes":{"gate-1":"127.0.0.1:7101","game_1":"localhost:7201","v6":"[::1]:7301","old":null}})");
    CHECK(cfg.cluster == "demo");
    CHECK(cfg.secret == "s3cret");
    CHECK(cfg.codec == hearth::rpc::codec::msgpack);
    CHECK(cfg.max_frame == 65536);
    CHECK(cfg.heartbeat == std::chrono::milliseconds(250));
    REQUIRE(cfg.nodes.size() == 4);
    CHECK(cfg.address_of("gate-1") == endpoint{"127.0.0.1", 7101});
    CHECK(cfg.address_of("v6") == endpoint{"::1", 7301});
    CHECK(cfg.address_of("v6")->to_string() == "[::1]:7301");
    CHECK(cfg.contains("old"));
    CHECK_FALSE(cfg.address_of("old"));
    CHECK_FALSE(cfg.contains("nobody"));
    const auto pub = cfg.to_public_json();
    CHECK(pub["secret"] == "***");
    CHECK(pub["nodes"]["old"].is_null());
    CHECK(pub["nodes"]["gate-1"] == "127.0.0.1:7101");
}

TEST_CASE("optional fields take their defaults") {
    const auto cfg = must_parse(R"({"cluster":"demo","secret":"x","nodes":{}})");
    CHECK(cfg.codec == hearth::rpc::codec::json);
    CHECK(cfg.max_frame == default_max_frame);
    CHECK(cfg.heartbeat == default_heartbeat);
    CHECK(cfg.nodes.empty());
}

TEST_CASE("invalid configurations are rejected with a message naming the problem") {
    require_rejected("{not json", "not valid JSON");
    require_rejected("[1,2]", "JSON object");
    require_rejected(R"({"secret":"x","nodes":{}})", "cluster name ('cluster') is missing");
    require_rejected(R"({"cluster":"","secret":"x","nodes":{}})", "must not be empty");
    require_rejected(R"({"cluster":7,"secret":"x","nodes":{}})", "'cluster' must be a string");
    require_rejected(R"({"cluster":"a b","secret":"x","nodes":{}})", "cluster name 'a b'");
    require_rejected(R"({"cluster":"demo","nodes":{}})", "secret ('secret') is missing");
    require_rejected(R"({"cluster":"demo","secret":"","nodes":{}})", "secret ('secret') must not be empty");
    require_rejected(R"({"cluster":"demo","secret":"x"})", "'nodes') is missing");
    require_rejected(R"({"cluster":"demo","secret":"x","nodes":[]})", "'nodes' must be an object");
    require_rejected(R"({"cluster":"demo","secret":"x","codec":"xml","nodes":{}})", "unknown codec 'xml'");
    require_rejected(R"({"cluster":"demo","secret":"x","max_frame":10,"nodes":{}})", "'max_frame'");
    require_rejected(R"({"cluster":"demo","secret":"x","max_frame":-1,"nodes":{}})", "'max_frame'");
    require_rejected(R"({"cluster":"demo","secret":"x","heartbeat_ms":0,"nodes":{}})", "'heartbeat_ms'");
    require_rejected(R"({"cluster":"demo","secret":"x","heartbeat_ms":"1s","nodes":{}})", "'heartbeat_ms'");
    require_rejected(R"({"cluster":"demo","secret":"x","heartbeat":5,"nodes":{}})",
                     "unknown key 'heartbeat'");
}

TEST_CASE("node names and addresses are validated") {
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a@b":"127.0.0.1:1"}})", "node name 'a@b'");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a.b":"127.0.0.1:1"}})", "node name 'a.b'");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"":"127.0.0.1:1"}})", "node name ''");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"127.0.0.1"}})", "host:port");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"127.0.0.1:"}})", "has no port");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":":80"}})", "empty host");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"127.0.0.1:0"}})", "out of range");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"127.0.0.1:65536"}})", "out of range");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"127.0.0.1:80x"}})", "not a number");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"::1:80"}})", "brackets");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"[::1:80"}})", "unclosed");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"bad host:80"}})", "invalid host");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":7101}})", "node 'a'");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":false}})", "node 'a'");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"127.0.0.1:7101","b":"127.0.0.1:7101"}})",
                     "nodes 'a' and 'b' have the same address 127.0.0.1:7101");
    require_rejected(R"({"cluster":"d","secret":"x","nodes":{"a":"Host:1","b":"host:1"}})", "same address");
    // Offline nodes never collide.
    CHECK(parse_config(R"({"cluster":"d","secret":"x","nodes":{"a":null,"b":null}})"));
    CHECK(valid_node_name(std::string(64, 'n')));
    CHECK_FALSE(valid_node_name(std::string(65, 'n')));
}

TEST_CASE("a configuration loads from a file, and a missing file is a clear error") {
    const std::string path = "cluster_config_test.json";
    {
        std::ofstream out(path);
        out << R"({"cluster":"demo","secret":"s","nodes":{"a":"127.0.0.1:9"}})";
    }
    auto cfg = load_config(path);
    std::remove(path.c_str());
    REQUIRE(cfg);
    CHECK(cfg->address_of("a") == endpoint{"127.0.0.1", 9});
    auto missing = load_config("/nonexistent/cluster.json");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("/nonexistent/cluster.json") != std::string::npos);
}

TEST_CASE("diff classifies every node exactly once") {
    const auto a = must_parse(R"({"cluster":"demo","secret":"s","nodes":{
        "keep":"127.0.0.1:1","move":"127.0.0.1:2","down":"127.0.0.1:3","up":null,"gone":"127.0.0.1:4","idle":null}})");
    const auto b = must_parse(R"({"cluster":"demo","secret":"s","nodes":{
        "keep":"127.0.0.1:1","move":"127.0.0.1:22","down":null,"up":"127.0.0.1:5","new":"127.0.0.1:6","idle":null}})");
    const auto d = diff(a, b);
    using entry = config_diff::node_entry;
    using change = config_diff::node_change;
    CHECK(d.added == std::vector<entry>{{"new", endpoint{"127.0.0.1", 6}}});
    CHECK(d.removed == std::vector<entry>{{"gone", endpoint{"127.0.0.1", 4}}});
    CHECK(d.changed == std::vector<change>{{"down", endpoint{"127.0.0.1", 3}, std::nullopt},
                                           {"move", endpoint{"127.0.0.1", 2}, endpoint{"127.0.0.1", 22}},
                                           {"up", std::nullopt, endpoint{"127.0.0.1", 5}}});
    CHECK(d.unchanged == std::vector<entry>{{"idle", std::nullopt}, {"keep", endpoint{"127.0.0.1", 1}}});
    CHECK_FALSE(d.empty());
    CHECK_FALSE(d.relink_all());
    const auto j = d.to_json();
    CHECK(j["changed"][0]["node"] == "down");
    CHECK(j["changed"][0]["to"].is_null());
    CHECK(j["added"][0]["address"] == "127.0.0.1:6");
    CHECK(j.dump().find("\"s\"") == std::string::npos);
}

TEST_CASE("diff of a configuration with itself is empty, and global changes are flagged") {
    const auto a = must_parse(R"({"cluster":"demo","secret":"s","nodes":{"x":"127.0.0.1:1"}})");
    const auto same = diff(a, a);
    CHECK(same.empty());
    CHECK(same.unchanged.size() == 1);

    auto b = a;
    b.secret = std::string(1, 't');  // not = "t": GCC 12 warns a bogus -Wrestrict
    CHECK(diff(a, b).secret_changed);
    CHECK(diff(a, b).relink_all());
    b = a;
    b.cluster = std::string("other");
    CHECK(diff(a, b).cluster_changed);
    b = a;
    b.codec = hearth::rpc::codec::cbor;
    CHECK(diff(a, b).codec_changed);
    b = a;
    b.heartbeat = std::chrono::milliseconds(5000);
    CHECK(diff(a, b).heartbeat_changed);
    CHECK_FALSE(diff(a, b).relink_all());
    CHECK_FALSE(diff(a, b).empty());
    b = a;
    b.max_frame = 1 << 20;
    CHECK(diff(a, b).max_frame_changed);
}

TEST_CASE(
    "integers built in code and the public JSON (secret restored) parse back to the same configuration") {
    // nlohmann stores integers assigned in code as signed; parsed text as unsigned.
    nlohmann::json doc;
    doc["cluster"] = "demo";
    doc["secret"] = "s3cret";
    doc["heartbeat_ms"] = 250;
    doc["max_frame"] = 65536;
    doc["nodes"]["a"] = "127.0.0.1:7101";
    auto cfg = parse_config(doc);
    REQUIRE(cfg);
    CHECK(cfg->heartbeat == std::chrono::milliseconds(250));
    CHECK(cfg->max_frame == 65536);

    auto pub = cfg->to_public_json();
    pub["secret"] = cfg->secret;
    auto again = parse_config(pub);
    REQUIRE(again);
    CHECK(*again == *cfg);

    doc["heartbeat_ms"] = -250;
    CHECK_FALSE(parse_config(doc));
}

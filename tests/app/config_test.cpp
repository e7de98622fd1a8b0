#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/config.hpp"

using namespace hearth::app;
using nlohmann::json;

namespace {

const std::vector<std::string> registered{"room", "ping"};
const std::vector<std::string> everywhere{"ping"};

json cluster_section() {
    return json::parse(R"({"cluster": "t", "secret": "s3cret",
                           "nodes": {"gate-1": "127.0.0.1:7101", "game-1": "127.0.0.1:7201"}})");
}

json two_nodes() {
    json doc;
    doc["admin"] = {{"address", "127.0.0.1"}, {"token", "tok"}};
    doc["nodes"]["gate-1"] = {{"admin_port", 9101}, {"gate", {{"tcp_port", 0}, {"ws_port", -1}}}};
    doc["nodes"]["game-1"] = {{"threads", 1}, {"services", {"room"}}};
    doc["cluster"] = cluster_section();
    return doc;
}

std::string all(const std::vector<std::string>& problems) {
    std::string out;
    for (const auto& p : problems) out += p + "\n";
    return out;
}

bool mentions(const std::vector<std::string>& problems, const std::string& what) {
    for (const auto& p : problems)
        if (p.find(what) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("app config: a file without 'nodes' is one node running every registered service") {
    auto r = parse_config(json::parse(R"({"node": {"name": "chat", "threads": 3}, "gate": {"tcp_port": 0}})"),
                          "", {}, registered, everywhere);
    INFO(all(r.problems));
    REQUIRE(r.ok());
    REQUIRE(r.config.single);
    REQUIRE(r.config.nodes.size() == 1);
    const auto& n = r.config.nodes.at("chat");
    CHECK(n.threads == 3);
    CHECK(n.services == std::vector<std::string>{"room"});  // "ping" runs everywhere anyway
    REQUIRE(n.gate);
    CHECK(!n.admin);
    CHECK(r.config.start == std::vector<std::string>{"chat"});
    CHECK(!r.config.cluster);
}

TEST_CASE("app config: a 'nodes' map places services, admin ports and the cluster") {
    auto r = parse_config(two_nodes(), "/etc/game/config.json", {}, registered, everywhere);
    INFO(all(r.problems));
    REQUIRE(r.ok());
    CHECK(!r.config.single);
    CHECK(r.config.start == std::vector<std::string>{"game-1", "gate-1"});
    CHECK(r.config.nodes.at("game-1").services == std::vector<std::string>{"room"});
    CHECK(r.config.nodes.at("gate-1").services.empty());
    REQUIRE(r.config.nodes.at("gate-1").admin);
    CHECK(r.config.nodes.at("gate-1").admin->port == 9101);
    CHECK(r.config.nodes.at("gate-1").admin->token == "tok");
    REQUIRE(r.config.cluster);
    CHECK(r.config.cluster->address_of("game-1")->port == 7201);
    CHECK(r.config.cluster_file == "/etc/game/config.json");  // an empty reload re-reads the file
}

TEST_CASE("app config: command-line overrides") {
    overrides flags;
    flags.node = "game-1";
    flags.admin_port = 9999;
    flags.log_level = "debug";
    auto r = parse_config(two_nodes(), "", flags, registered, everywhere);
    INFO(all(r.problems));
    REQUIRE(r.ok());
    CHECK(r.config.nodes.at("game-1").admin->port == 9999);
    CHECK(r.config.nodes.at("gate-1").admin->port == 9101);  // only the named node's
    CHECK(r.config.nodes.at("gate-1").log_level == "debug");

    flags.node = "nope";
    auto bad = parse_config(two_nodes(), "", flags, registered, everywhere);
    CHECK(mentions(bad.problems, "--node nope is not under 'nodes'"));
    flags = {};
    flags.log_level = "loud";
    CHECK(
        mentions(parse_config(two_nodes(), "", flags, registered, everywhere).problems, "--log-level loud"));
    flags = {};
    flags.admin_port = 1;
    CHECK(mentions(parse_config(two_nodes(), "", flags, registered, everywhere).problems, "--node"));
}

TEST_CASE("app config: every problem is listed, each naming its key") {
    json doc = two_nodes();
    doc["nodes"]["game-1"]["services"] = {"room", "lobby", 7};  // unknown service, wrong type
    doc["nodes"]["game-1"]["threads"] = "two";                  // wrong type
    doc["nodes"]["gate-1"]["gate"]["host"] = "not-an-address";  // bad address
    doc["nodes"]["gate-1"]["gate"]["heartbeat_ms"] = -5;        // a gate option out of range
    doc["nodes"]["gate-1"]["gate"]["tcp_prot"] = 1;             // a misspelt gate option
    doc["admin"]["address"] = "localhost:80";                   // bad address
    doc["nodes"]["gate-1"]["admin_port"] = 70000;               // not a port
    doc["nodes"]["game-1"]["colour"] = "blue";                  // unknown key
    doc["start"] = {"gate-1", "game-9"};                        // unknown node
    auto r = parse_config(doc, "", {}, registered, everywhere);
    CHECK(mentions(r.problems,
                   "'nodes.game-1.services[1]' names the service \"lobby\", which this program does "
                   "not register (it registers: room, ping)"));
    CHECK(mentions(r.problems, "'nodes.game-1.services[2]' must be a service name"));
    CHECK(mentions(r.problems, "'nodes.game-1.threads' must be an integer"));
    CHECK(mentions(r.problems, "'nodes.gate-1.gate.host' must be an IPv4 or IPv6 address"));
    CHECK(mentions(r.problems, "'nodes.gate-1.gate': gate option 'heartbeat_ms'"));
    CHECK(mentions(r.problems, "'nodes.gate-1.gate': Unknown gate option 'tcp_prot'"));
    CHECK(mentions(r.problems, "'admin.address' must be an IPv4 or IPv6 address"));
    CHECK(mentions(r.problems, "'nodes.gate-1.admin_port' must be a port number"));
    CHECK(mentions(r.problems, "Unknown key 'nodes.game-1.colour'"));
    CHECK(mentions(r.problems, "'start[1]' must name a node under 'nodes'"));
    CHECK(r.problems.size() == 10);
}

TEST_CASE("app config: missing sections and wrong section types") {
    json doc = two_nodes();
    doc.erase("cluster");
    auto r = parse_config(doc, "", {}, registered, everywhere);
    INFO(all(r.problems));
    REQUIRE(r.problems.size() == 1);
    CHECK(mentions(r.problems, "Missing section 'cluster'"));

    doc = two_nodes();
    doc["cluster"]["nodes"].erase("game-1");
    CHECK(mentions(parse_config(doc, "", {}, registered, everywhere).problems,
                   "Node 'game-1' has no address in the cluster configuration"));

    doc = two_nodes();
    doc["cluster"].erase("secret");
    CHECK(mentions(parse_config(doc, "", {}, registered, everywhere).problems, "'cluster': "));

    doc = two_nodes();
    doc["cluster"] = 5;
    CHECK(mentions(parse_config(doc, "", {}, registered, everywhere).problems, "'cluster' must be"));
    doc["nodes"] = json::array();
    CHECK(mentions(parse_config(doc, "", {}, registered, everywhere).problems,
                   "'nodes' must be a JSON object"));
    CHECK(mentions(parse_config(json::array(), "", {}, registered, everywhere).problems,
                   "must be a JSON object"));
    CHECK(mentions(parse_config(json::parse(R"({"gate": 1, "admin": {"open_reads": "yes"}})"), "", {},
                                registered, everywhere)
                       .problems,
                   "'admin.open_reads' must be true or false"));
}

TEST_CASE("app config: the cluster section may name a file, relative to the configuration's folder") {
    namespace fs = std::filesystem;
    const std::string dir =
        (fs::temp_directory_path() / ("hearth_app_config_" + std::to_string(::getpid()))).string();
    fs::create_directories(dir);
    struct remove_dir {
        std::string path;
        ~remove_dir() { fs::remove_all(path); }
    } guard{dir};
    std::ofstream(dir + "/cluster.json") << cluster_section().dump();
    json doc = two_nodes();
    doc["cluster"] = "cluster.json";
    auto r = parse_config(doc, dir + "/config.json", {}, registered, everywhere);
    INFO(all(r.problems));
    REQUIRE(r.ok());
    CHECK(r.config.cluster_file == dir + "/cluster.json");
    doc["cluster"] = "missing.json";
    CHECK(mentions(parse_config(doc, dir + "/config.json", {}, registered, everywhere).problems,
                   "'cluster' (the file " + dir + "/missing.json)"));
}

TEST_CASE("app config: the public form masks the admin token and the cluster secret") {
    auto r = parse_config(two_nodes(), "", {}, registered, everywhere);
    INFO(all(r.problems));
    REQUIRE(r.ok());
    const auto text = r.config.to_public_json().dump();
    CHECK(text.find("s3cret") == std::string::npos);
    CHECK(text.find("\"tok\"") == std::string::npos);
    CHECK(r.config.to_public_json()["nodes"]["gate-1"]["admin"]["token"] == "***");
}

TEST_CASE("app config: unreadable files and invalid JSON are one problem naming the file") {
    auto r = load_config("/nonexistent/hearth.json", "", {}, registered, everywhere);
    REQUIRE(r.problems.size() == 1);
    CHECK(mentions(r.problems, "/nonexistent/hearth.json"));
    auto j = load_config("", "{ not json", {}, registered, everywhere);
    REQUIRE(j.problems.size() == 1);
    CHECK(mentions(j.problems, "is not valid JSON"));
}

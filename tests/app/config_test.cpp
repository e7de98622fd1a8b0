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

// The problems of a parse, none when the configuration is usable.
std::vector<std::string> problems_of(const config_result& r) {
    return r ? std::vector<std::string>{} : r.error().sentences;
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
    INFO(all(problems_of(r)));
    REQUIRE(r.has_value());
    REQUIRE(r->single);
    REQUIRE(r->nodes.size() == 1);
    const auto& n = r->nodes.at("chat");
    CHECK(n.threads == 3);
    CHECK(n.services == std::vector<std::string>{"room"});  // "ping" runs everywhere anyway
    REQUIRE(n.gate);
    CHECK(!n.admin);
    CHECK(r->start == std::vector<std::string>{"chat"});
    CHECK(!r->cluster);
}

TEST_CASE("app config: a 'nodes' map places services, admin ports and the cluster") {
    auto r = parse_config(two_nodes(), "/etc/game/config.json", {}, registered, everywhere);
    INFO(all(problems_of(r)));
    REQUIRE(r.has_value());
    CHECK(!r->single);
    CHECK(r->start == std::vector<std::string>{"game-1", "gate-1"});
    CHECK(r->nodes.at("game-1").services == std::vector<std::string>{"room"});
    CHECK(r->nodes.at("gate-1").services.empty());
    REQUIRE(r->nodes.at("gate-1").admin);
    CHECK(r->nodes.at("gate-1").admin->port == 9101);
    CHECK(r->nodes.at("gate-1").admin->token == "tok");
    REQUIRE(r->cluster);
    CHECK(r->cluster->address_of("game-1")->port == 7201);
    CHECK(r->cluster_file == "/etc/game/config.json");  // an empty reload re-reads the file
}

TEST_CASE("app config: command-line overrides") {
    overrides flags;
    flags.node = "game-1";
    flags.admin_port = 9999;
    flags.log_level = "debug";
    auto r = parse_config(two_nodes(), "", flags, registered, everywhere);
    INFO(all(problems_of(r)));
    REQUIRE(r.has_value());
    CHECK(r->nodes.at("game-1").admin->port == 9999);
    CHECK(r->nodes.at("gate-1").admin->port == 9101);  // only the named node's
    CHECK(r->nodes.at("gate-1").log_level == "debug");

    flags.node = "nope";
    auto bad = parse_config(two_nodes(), "", flags, registered, everywhere);
    CHECK(mentions(problems_of(bad), "--node nope is not under 'nodes'"));
    flags = {};
    flags.log_level = "loud";
    CHECK(mentions(problems_of(parse_config(two_nodes(), "", flags, registered, everywhere)),
                   "--log-level loud"));
    flags = {};
    flags.admin_port = 1;
    CHECK(mentions(problems_of(parse_config(two_nodes(), "", flags, registered, everywhere)), "--node"));
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
    CHECK(mentions(problems_of(r),
                   "'nodes.game-1.services[1]' names the service \"lobby\", which this program does "
                   "not register (it registers: room, ping)"));
    CHECK(mentions(problems_of(r), "'nodes.game-1.services[2]' must be a service name"));
    CHECK(mentions(problems_of(r), "'nodes.game-1.threads' must be an integer"));
    CHECK(mentions(problems_of(r), "'nodes.gate-1.gate.host' must be an IPv4 or IPv6 address"));
    CHECK(mentions(problems_of(r), "'nodes.gate-1.gate': gate option 'heartbeat_ms'"));
    CHECK(mentions(problems_of(r), "'nodes.gate-1.gate': Unknown gate option 'tcp_prot'"));
    CHECK(mentions(problems_of(r), "'admin.address' must be an IPv4 or IPv6 address"));
    CHECK(mentions(problems_of(r), "'nodes.gate-1.admin_port' must be a port number"));
    CHECK(mentions(problems_of(r), "Unknown key 'nodes.game-1.colour'"));
    CHECK(mentions(problems_of(r), "'start[1]' must name a node under 'nodes'"));
    CHECK(problems_of(r).size() == 10);
}

TEST_CASE("app config: missing sections and wrong section types") {
    json doc = two_nodes();
    doc.erase("cluster");
    auto r = parse_config(doc, "", {}, registered, everywhere);
    INFO(all(problems_of(r)));
    REQUIRE(problems_of(r).size() == 1);
    CHECK(mentions(problems_of(r), "Missing section 'cluster'"));

    doc = two_nodes();
    doc["cluster"]["nodes"].erase("game-1");
    CHECK(mentions(problems_of(parse_config(doc, "", {}, registered, everywhere)),
                   "Node 'game-1' has no address in the cluster configuration"));

    doc = two_nodes();
    doc["cluster"].erase("secret");
    CHECK(mentions(problems_of(parse_config(doc, "", {}, registered, everywhere)), "'cluster': "));

    doc = two_nodes();
    doc["cluster"] = 5;
    CHECK(mentions(problems_of(parse_config(doc, "", {}, registered, everywhere)), "'cluster' must be"));
    doc["nodes"] = json::array();
    CHECK(mentions(problems_of(parse_config(doc, "", {}, registered, everywhere)),
                   "'nodes' must be a JSON object"));
    CHECK(mentions(problems_of(parse_config(json::array(), "", {}, registered, everywhere)),
                   "must be a JSON object"));
    CHECK(mentions(problems_of(parse_config(json::parse(R"({"gate": 1, "admin": {"open_reads": "yes"}})"), "",
                                            {}, registered, everywhere)),
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
    INFO(all(problems_of(r)));
    REQUIRE(r.has_value());
    CHECK(r->cluster_file == dir + "/cluster.json");
    doc["cluster"] = "missing.json";
    CHECK(mentions(problems_of(parse_config(doc, dir + "/config.json", {}, registered, everywhere)),
                   "'cluster' (the file " + dir + "/missing.json)"));
}

TEST_CASE("app config: the public form masks the admin token and the cluster secret") {
    auto r = parse_config(two_nodes(), "", {}, registered, everywhere);
    INFO(all(problems_of(r)));
    REQUIRE(r.has_value());
    const auto text = r->to_public_json().dump();
    CHECK(text.find("s3cret") == std::string::npos);
    CHECK(text.find("\"tok\"") == std::string::npos);
    CHECK(r->to_public_json()["nodes"]["gate-1"]["admin"]["token"] == "***");
}

TEST_CASE("app config: unreadable files and invalid JSON are one problem naming the file") {
    auto r = load_config("/nonexistent/hearth.json", "", {}, registered, everywhere);
    REQUIRE(problems_of(r).size() == 1);
    CHECK(mentions(problems_of(r), "/nonexistent/hearth.json"));
    auto j = load_config("", "{ not json", {}, registered, everywhere);
    REQUIRE(problems_of(j).size() == 1);
    CHECK(mentions(problems_of(j), "is not valid JSON"));
}

TEST_CASE("app config: node.spin_us sets the workers' poll before sleeping, per node or for all") {
    auto r = parse_config(json::parse(R"({"node": {"name": "chat", "spin_us": 0}})"), "", {}, registered,
                          everywhere);
    REQUIRE(r);
    CHECK(r->nodes.at("chat").spin_us == 0u);
    json doc = two_nodes();
    doc["node"] = {{"spin_us", 20}};
    doc["nodes"]["game-1"]["spin_us"] = 100;
    auto d = parse_config(doc, "", {}, registered, everywhere);
    INFO(all(problems_of(d)));
    REQUIRE(d);
    CHECK(d->nodes.at("gate-1").spin_us == 20u);
    CHECK(d->nodes.at("game-1").spin_us == 100u);
    auto none = parse_config(json::parse(R"({"node": {"name": "chat"}})"), "", {}, registered, everywhere);
    REQUIRE(none);
    CHECK_FALSE(none->nodes.at("chat").spin_us.has_value());
    for (const char* bad : {R"({"node": {"spin_us": -1}})", R"({"node": {"spin_us": 10001}})",
                            R"({"node": {"spin_us": "50"}})", R"({"nodes": {"gate-1": {"spin_us": 1.5}}})"})
        CHECK(
            mentions(problems_of(parse_config(json::parse(bad), "", {}, registered, everywhere)), "spin_us"));
}

#include "tools/cli/admin_command.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

using namespace hearth::tools;
using nlohmann::json;

TEST_CASE("admin_command: each command is the route, method and body of docs/admin.md", "[tools][cli]") {
    admin_options o;
    o.token = "t";
    std::string error;
    auto request = [&](std::string command) {
        o.command = std::move(command);
        auto r = make_admin_request(o, error);
        REQUIRE(r);
        CHECK(r->token == "t");
        return *r;
    };
    auto r = request("cluster");
    CHECK((r.method == "GET" && r.target == "/cluster" && r.body.empty()));
    o.offset = 20;
    o.limit = 10;
    r = request("sessions");
    CHECK((r.method == "GET" && r.target == "/sessions?offset=20&limit=10"));
    r = request("metrics");
    CHECK(r.target == "/metrics");
    o.argument = "256";
    o.reason = "cheating";
    r = request("kick");
    CHECK((r.method == "POST" && r.target == "/sessions/256/kick"));
    CHECK(json::parse(r.body) == json{{"reason", "cheating"}});
    o.reason.reset();
    r = request("kick");
    CHECK(r.body.empty());  // the endpoint's default reason
    o.argument = "debug";
    r = request("log-level");
    CHECK((r.method == "PUT" && r.target == "/log-level"));
    CHECK(json::parse(r.body) == json{{"level", "debug"}});
    r = request("shutdown");
    CHECK((r.method == "POST" && r.target == "/shutdown" && r.body.empty()));

    const std::string file = "hearth_cli_reload_test.json";
    std::ofstream(file) << R"({"cluster":"c"})";
    o.argument = file;
    o.dry_run = true;
    r = request("reload");
    CHECK((r.method == "POST" && r.target == "/cluster/reload?dry_run=1" && r.body == R"({"cluster":"c"})"));
    o.dry_run = false;
    o.argument.clear();
    r = request("reload");
    CHECK((r.target == "/cluster/reload" && r.body.empty()));  // re-read the node's own file
    std::remove(file.c_str());
}

TEST_CASE("admin_command: bad arguments are errors before any request", "[tools][cli]") {
    admin_options o;
    std::string error;
    o.command = "kick";
    for (const char* id : {"", "abc", "-1", "25 6", "1/../2"}) {
        o.argument = id;
        CHECK_FALSE(make_admin_request(o, error));
        CHECK_THAT(error, Catch::Contains("is not a session id"));
    }
    o.command = "reload";
    o.argument = "/nonexistent/cluster.json";
    CHECK_FALSE(make_admin_request(o, error));
    CHECK_THAT(error, Catch::Contains("cannot read /nonexistent/cluster.json"));
    o.command = "frobnicate";
    CHECK_FALSE(make_admin_request(o, error));
    CHECK_THAT(error, Catch::Contains("unknown admin command"));
}

TEST_CASE("admin_command: readable renderings of the documented answers", "[tools][cli]") {
    const auto cluster =
        json::parse(R"({"node":"gate-1","incarnation":"31f172cbe9a3bfaf","cluster":"chat-demo",
      "listen_port":7101,"reload_count":0,"misaddressed_frames":0,"handshake_failures":0,"agents":2,
      "nodes":[{"name":"game-1","configured":true,"self":false,"address":"127.0.0.1:7201","state":"up",
                "since":"2026-11-21T08:04:25.502Z","for_seconds":3.0,"services":["ping","room"],
                "link":{"state":"up","queued":0,"in_flight":2,"reconnects":1,"last_failure":""}},
               {"name":"game-9","configured":false,"self":false,"address":"127.0.0.1:7209","state":"removed",
                "for_seconds":1.25,"services":[],"link":null},
               {"name":"gate-1","configured":true,"self":true,"state":"self","address":"127.0.0.1:7101",
                "services":["gate","ping"]}]})");
    const auto text = render_admin_answer("cluster", cluster);
    CHECK_THAT(text, Catch::StartsWith("cluster chat-demo as seen by gate-1 (incarnation 31f172cbe9a3bfaf, "
                                       "cluster port 7101); reloads 0"));
    CHECK_THAT(text, Catch::Contains("NODE    STATE                     ADDRESS"));
    CHECK_THAT(text, Catch::Contains("game-1  up                        127.0.0.1:7201  3.0 s  ping,room  "
                                     "up, queued 0, in flight 2, reconnects 1\n"));
    CHECK_THAT(text,
               Catch::Contains("game-9  removed (not configured)  127.0.0.1:7209  1.2 s  -          -\n"));

    const auto reload = json::parse(R"({"applied":true,"dry_run":false,"source":"the request body",
      "reload_count":1,"added":[{"node":"game-3","address":"127.0.0.1:7203"}],"removed":[],
      "changed":[{"node":"game-2","from":"127.0.0.1:7202","to":null}],
      "unchanged":[{"node":"gate-1","address":"127.0.0.1:7101"}],"cluster_changed":false,"secret_changed":true,
      "codec_changed":false,"max_frame_changed":false,"heartbeat_changed":false})");
    CHECK(render_admin_answer("reload", reload) ==
          "applied (source: the request body, reloads so far 1)\n"
          "  added:     game-3 127.0.0.1:7203\n"
          "  removed:   -\n"
          "  changed:   game-2 127.0.0.1:7202 -> -\n"
          "  unchanged: gate-1 127.0.0.1:7101\n"
          "  settings changed: secret\n");

    const auto sessions = json::parse(R"({"gate":"gate","node":"gate-1","total":2,"offset":0,"limit":100,
      "items":[{"id":"256","uid":"game-1-1","worker":0,"since":"2026-11-21T08:10:02.117Z","age_seconds":4.2},
               {"id":"257","uid":"","worker":1,"since":"2026-11-21T08:10:03.900Z","age_seconds":2.4}]})");
    CHECK(render_admin_answer("sessions", sessions) ==
          "gate 'gate' on gate-1: 2 session(s), showing 1-2\n"
          "ID   UID       WORKER  AGE    SINCE\n"
          "256  game-1-1  0       4.2 s  2026-11-21T08:10:02.117Z\n"
          "257  -         1       2.4 s  2026-11-21T08:10:03.900Z\n");
    CHECK(render_admin_answer("kick", json{{"kicked", "256"}, {"reason", "cheating"}}) ==
          "kicked session 256: cheating\n");
    CHECK(render_admin_answer("log-level", json{{"level", "debug"}}) == "log level set to debug\n");
    CHECK(render_admin_answer("shutdown", json{{"shutting_down", true}}) == "the node is shutting down\n");
    CHECK(render_admin_answer("health", json{{"node", "gate-1"}, {"status", "ok"}}) ==
          "node: gate-1\nstatus: ok\n");
    // An answer without what the route documents is an error, not a crash.
    CHECK_THROWS_AS(render_admin_answer("sessions", json::object()), json::exception);
    CHECK_THROWS_AS(render_admin_answer("cluster", json::array()), json::exception);
}

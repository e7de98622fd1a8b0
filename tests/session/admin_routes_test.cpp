#include "session/admin_routes.hpp"

#include <catch2/catch.hpp>

#include <set>

#include "framework/service.hpp"
#include "session/ref.hpp"
#include "tests/framework/harness.hpp"
#include "tests/framework/http_client.hpp"
#include "tests/session/test_client.hpp"

using namespace std::chrono_literals;
using hearth::testing::eventually;
using hearth::testing::http_request;
using hearth::testing::test_client;
using nlohmann::json;
namespace session = hearth::session;

namespace {

constexpr const char* token = "adm1n";

inline constexpr hearth::rpc::method<json, json> login{"login.bind"};

// Binds the uid the client sends: {"uid": "..."}.
class login_service : public hearth::service {
  public:
    login_service() { handle(login, &login_service::on_login); }

  private:
    hearth::awaitable<hearth::result<json>> on_login(const hearth::call_context& ctx, json req) {
        auto s = session::ref::from(ctx);
        if (!s) co_return hearth::app_error("no_session", "clients only");
        const std::string uid = req.value("uid", std::string());
        auto bound = co_await s->bind(uid);
        if (!bound) co_return std::move(bound).error();
        json ok;
        ok["id"] = std::to_string(s->id());
        co_return ok;
    }
};

struct fixture {
    hearth::node n{hearth::testing::test_config("gate-1", 2)};
    session::gate* g = nullptr;
    std::unique_ptr<hearth::admin_server> admin;

    fixture() {
        session::gate_options o;
        o.host = "127.0.0.1";
        o.tcp_port = 0;
        o.ws_port = 0;
        g = &n.add_service<session::gate>("gate", std::move(o));
        n.add_service<login_service>("login");
        n.start();
        REQUIRE(g->wait_listening(5s));
        hearth::admin_config ac;
        ac.token = token;
        admin = std::make_unique<hearth::admin_server>(n, ac);
        session::register_admin_routes(*admin, *g);
        admin->start();
    }
    ~fixture() {
        admin->stop();
        n.stop();
    }
    json get(const std::string& target) {
        auto r = http_request(admin->port(), "GET", target, {}, token);
        REQUIRE(r.status == 200);
        return json::parse(r.body);
    }
};

// Connects, handshakes and binds `uid`; returns the session id the gate gave it.
std::string connect(test_client& c, const std::string& uid) {
    REQUIRE(c.handshake()["code"] == 200);
    json req;
    req["uid"] = uid;
    c.request(1, "login.bind", req);
    auto r = c.next_response();
    REQUIRE(r);
    REQUIRE_FALSE(r->error);
    return r->body["id"].get<std::string>();
}

}  // namespace

TEST_CASE("admin /sessions: paged list with id, uid, worker and since") {
    fixture f;
    std::vector<std::unique_ptr<test_client>> clients;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<test_client>(test_client::kind::tcp, f.g->tcp_port()));
        ids.push_back(connect(*clients.back(), "user-" + std::to_string(i)));
    }
    auto all = f.get("/sessions");
    CHECK(all["total"] == 5);
    CHECK(all["node"] == "gate-1");
    REQUIRE(all["items"].size() == 5);
    std::set<std::string> seen_ids, seen_uids;
    for (const auto& item : all["items"]) {
        seen_ids.insert(item["id"].get<std::string>());
        seen_uids.insert(item["uid"].get<std::string>());
        CHECK(item["worker"].get<unsigned>() < 2);
        CHECK(item["since"].get<std::string>().size() == 24);
    }
    CHECK(seen_ids == std::set<std::string>(ids.begin(), ids.end()));
    CHECK(seen_uids == std::set<std::string>{"user-0", "user-1", "user-2", "user-3", "user-4"});

    // Pages are slices of one order (by id).
    std::vector<std::string> paged;
    for (int offset = 0; offset < 6; offset += 2) {
        auto page = f.get("/sessions?offset=" + std::to_string(offset) + "&limit=2");
        CHECK(page["total"] == 5);
        CHECK(page["items"].size() == (offset == 4 ? 1u : 2u));
        for (const auto& item : page["items"]) paged.push_back(item["id"].get<std::string>());
    }
    std::vector<std::string> whole;
    for (const auto& item : all["items"]) whole.push_back(item["id"].get<std::string>());
    CHECK(paged == whole);
    CHECK(f.get("/sessions?offset=10")["items"].empty());

    CHECK(http_request(f.admin->port(), "GET", "/sessions?limit=0", {}, token).status == 400);
    CHECK(http_request(f.admin->port(), "GET", "/sessions?limit=5000", {}, token).status == 400);
    CHECK(http_request(f.admin->port(), "GET", "/sessions?offset=-1", {}, token).status == 400);
    CHECK(http_request(f.admin->port(), "GET", "/sessions").status == 401);

    clients[0]->close();
    CHECK(eventually([&] { return f.get("/sessions")["total"] == 4; }, 5000ms));
}

TEST_CASE("admin /sessions/{id}/kick: the client gets the kick with the reason; 404 for an unknown id") {
    fixture f;
    test_client a(test_client::kind::tcp, f.g->tcp_port());
    test_client b(test_client::kind::ws, f.g->ws_port());
    const auto ida = connect(a, "alice");
    const auto idb = connect(b, "bob");
    const auto port = f.admin->port();

    CHECK(http_request(port, "POST", "/sessions/" + ida + "/kick").status == 401);
    CHECK(http_request(port, "POST", "/sessions/" + ida + "/kick", {}, "wrong").status == 403);
    CHECK(http_request(port, "POST", "/sessions/12345678/kick", {}, token).status == 404);
    CHECK(http_request(port, "POST", "/sessions/abc/kick", {}, token).status == 400);
    CHECK(http_request(port, "POST", "/sessions/" + ida + "/kick", "{\"reason\": 5}", token).status == 400);
    CHECK(http_request(port, "POST", "/sessions/" + ida + "/kick", "{oops", token).status == 400);
    CHECK(http_request(port, "GET", "/sessions/" + ida + "/kick", {}, token).status == 405);
    CHECK_FALSE(a.closed());

    auto r = http_request(port, "POST", "/sessions/" + ida + "/kick", "{\"reason\": \"cheating\"}", token);
    REQUIRE(r.status == 200);
    CHECK(json::parse(r.body)["kicked"] == ida);
    CHECK(a.wait_closed(5000ms));
    CHECK(json::parse(a.kick_body())["reason"] == "cheating");

    // Without a body: the default reason; over WebSocket.
    auto r2 = http_request(port, "POST", "/sessions/" + idb + "/kick", {}, token);
    REQUIRE(r2.status == 200);
    CHECK(b.wait_closed(5000ms));
    CHECK(json::parse(b.kick_body())["reason"] == "kicked by an administrator");

    CHECK(eventually([&] { return f.get("/sessions")["total"] == 0; }, 5000ms));
    CHECK(http_request(port, "POST", "/sessions/" + ida + "/kick", {}, token).status == 404);
}

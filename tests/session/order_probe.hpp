#pragma once
// What the ordering tests share: a service whose handlers send things to their own session
// before returning, and a reader of a client's messages exactly in arrival order.
//
// Every payload carries a "tag" (the request's own) and an index, so the tests check order by
// content: each push of request `tag` arrives before the Response of `tag`.

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "framework/service.hpp"
#include "session/group.hpp"
#include "session/message.hpp"
#include "session/ref.hpp"
#include "tests/session/test_client.hpp"

namespace hearth::testing {

inline constexpr rpc::method<nlohmann::json, nlohmann::json> order_join{"order.join"};
inline constexpr rpc::method<nlohmann::json, nlohmann::json> order_kick{"order.kick"};
inline constexpr rpc::method<nlohmann::json, nlohmann::json> order_data{"order.data"};
inline constexpr rpc::method<nlohmann::json, nlohmann::json> order_check{"order.check"};

/// order.join {tag, n, fail}: pushes "onItem" {tag, i} for i in [0, n) to the caller,
/// alternating ref::push and a broadcast of the service's group (the caller is its only
/// member), then answers {tag} (or the error "refused" when fail is true). order.kick {tag, n}: n pushes,
/// then a kick with reason tag. order.data {tag}: binds uid "u-<tag>" and sets key "tag" to tag, then
/// answers. order.check: answers {uid (from the call context), tag (gate.get)}.
class order_service : public service {
  public:
    order_service() {
        handle(order_join, &order_service::on_join);
        handle(order_kick, &order_service::on_kick);
        handle(order_data, &order_service::on_data);
        handle(order_check, &order_service::on_check);
    }

  private:
    static nlohmann::json item(const nlohmann::json& tag, int i) {
        nlohmann::json j;
        j["tag"] = tag;
        j["i"] = i;
        return j;
    }
    awaitable<result<nlohmann::json>> on_join(const call_context& ctx, nlohmann::json req) {
        auto s = session::ref::from(ctx);
        if (!s) co_return app_error("no_session", "clients only");
        session::group only;
        only.add(*s);
        const int n = req.value("n", 3);
        for (int i = 0; i < n; ++i) {
            if (i % 2 == 0)
                s->push("onItem", item(req["tag"], i));
            else
                only.broadcast("onItem", item(req["tag"], i));
        }
        if (req.value("fail", false)) co_return app_error("refused", "refused after the pushes");
        nlohmann::json out;
        out["tag"] = req["tag"];
        co_return out;
    }
    awaitable<result<nlohmann::json>> on_kick(const call_context& ctx, nlohmann::json req) {
        auto s = session::ref::from(ctx);
        if (!s) co_return app_error("no_session", "clients only");
        for (int i = 0; i < req.value("n", 3); ++i) s->push("onItem", item(req["tag"], i));
        s->kick(req["tag"].dump());
        co_return nlohmann::json::object();
    }
    awaitable<result<nlohmann::json>> on_data(const call_context& ctx, nlohmann::json req) {
        auto s = session::ref::from(ctx);
        if (!s) co_return app_error("no_session", "clients only");
        const std::string tag = req["tag"].dump();
        std::string uid = "u-" + tag;
        auto bound = co_await s->bind(std::move(uid));
        if (!bound) co_return std::move(bound).error();
        s->set("tag", req["tag"]);
        co_return nlohmann::json::object();
    }
    awaitable<result<nlohmann::json>> on_check(const call_context& ctx, nlohmann::json) {
        auto s = session::ref::from(ctx);
        if (!s) co_return app_error("no_session", "clients only");
        auto tag = co_await s->get("tag");
        if (!tag) co_return std::move(tag).error();
        nlohmann::json out;
        out["uid"] = ctx.client->uid;
        out["tag"] = *tag;
        co_return out;
    }
};

/// One thing the server sent, in arrival order.
struct client_event {
    enum class kind { push, response, kick } type = kind::push;
    std::uint64_t id = 0;  // responses
    bool error = false;    // responses
    std::string route;     // pushes
    nlohmann::json body;   // pushes and responses; the kick's body
};

/// The next Push, Response or Kick exactly as received (heartbeats skipped); nullopt on close
/// or deadline.
inline std::optional<client_event> next_event(test_client& c,
                                              std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    for (;;) {
        auto p = c.next(timeout);
        if (!p) return std::nullopt;
        if (p->type == session::packet_type::kick)
            return client_event{client_event::kind::kick, 0, false, {}, nlohmann::json::parse(p->body)};
        if (p->type != session::packet_type::data) continue;
        session::message m;
        if (session::decode_message(p->body, nullptr, m)) return std::nullopt;
        if (m.type == session::message_type::push)
            return client_event{client_event::kind::push, 0, false, std::string(m.route),
                                nlohmann::json::parse(m.payload)};
        return client_event{
            client_event::kind::response, m.id, m.error, {}, nlohmann::json::parse(m.payload)};
    }
}

/// Sends `joins` order.join requests of `n` pushes each, one at a time, and counts the
/// requests whose Response arrived before all of their pushes (0 is right). Pushes must also
/// arrive in index order. Returns -1 on a missing or wrong message.
inline int count_responses_first(test_client& c, int joins, int n, int first_tag) {
    int early = 0;
    for (int k = 0; k < joins; ++k) {
        const int tag = first_tag + k;
        nlohmann::json req;
        req["tag"] = tag;
        req["n"] = n;
        c.request(static_cast<std::uint64_t>(tag), "order.join", req);
        int seen = 0;
        bool answered = false;
        while (!answered || seen < n) {
            auto e = next_event(c);
            if (!e || e->type == client_event::kind::kick) return -1;
            if (e->type == client_event::kind::response) {
                if (e->error || e->id != static_cast<std::uint64_t>(tag) || e->body["tag"] != tag) return -1;
                if (seen < n) ++early;
                answered = true;
            } else {
                if (e->route != "onItem" || e->body["tag"] != tag || e->body["i"] != seen) return -1;
                ++seen;
            }
        }
    }
    return early;
}

}  // namespace hearth::testing

#include "room.hpp"

#include "session/ref.hpp"

namespace chat {

room::room() {
    handle(join, &room::on_join);
    handle(message, &room::on_message);
    handle(closed, &room::on_closed);
}

hearth::awaitable<hearth::result<nlohmann::json>> room::on_join(const hearth::call_context& ctx,
                                                                nlohmann::json req) {
    auto s = hearth::session::ref::from(ctx);
    if (!s) co_return hearth::app_error("no_session", "room.join is for clients.");
    std::string name = req.is_object() ? req.value("name", std::string()) : std::string();
    // Unique across the nodes of a cluster that all host a room (gates index sessions by uid).
    const std::string uid = node().name() + "-" + std::to_string(++next_uid_);
    if (name.empty()) name = "guest-" + uid;
    auto bound = co_await s->bind(uid);
    if (!bound) co_return std::move(bound).error();
    // State may have changed while we waited: the session may have joined twice.
    if (!members_.contains(*s)) {
        nlohmann::json hello;
        hello["content"] = "New user: " + name;
        (void)members_.broadcast("onNewUser", hello);
        members_.add(*s);
    }
    names_[s->id()] = name;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, n] : names_) list.push_back(n);
    nlohmann::json members;
    members["members"] = std::move(list);
    (void)s->push("onMembers", members);
    nlohmann::json ok;
    ok["code"] = 0;
    ok["result"] = "success";
    co_return ok;
}

hearth::awaitable<void> room::on_message(const hearth::call_context& ctx, nlohmann::json msg) {
    auto s = hearth::session::ref::from(ctx);
    if (!s || !members_.contains(*s)) co_return;  // join first
    (void)members_.broadcast("onMessage", msg);
}

hearth::awaitable<void> room::on_closed(hearth::session::session_closed ev) {
    hearth::session::ref s(ev.gate_node, ev.session_id);
    if (!members_.remove(s)) co_return;
    nlohmann::json bye;
    bye["name"] = names_[ev.session_id];
    names_.erase(ev.session_id);
    (void)members_.broadcast("onLeave", bye);
}

}  // namespace chat

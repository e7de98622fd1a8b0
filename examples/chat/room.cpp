#include "room.hpp"

#include "session/ref.hpp"

namespace chat {

room::room() {
    handle(join, &room::on_join);
    handle(message, &room::on_message);
    handle(hearth::session::closed, &room::on_closed);
}

hearth::awaitable<hearth::result<join_reply>> room::on_join(const hearth::call_context& ctx,
                                                            join_request req) {
    auto s = hearth::session::ref::from(ctx);
    if (!s) co_return hearth::app_error("no_session", "room.join is for clients.");
    // Unique across the nodes of a cluster that all host a room (gates index sessions by uid).
    const std::string uid = node().name() + "-" + std::to_string(++next_uid_);
    std::string name = req.name.empty() ? "guest-" + uid : std::move(req.name);
    auto bound = co_await s->bind(uid);
    if (!bound) co_return std::move(bound).error();
    // State may have changed while we waited: the session may have joined twice.
    if (!members_.contains(*s)) {
        members_.broadcast("onNewUser", new_user_push{"New user: " + name});
        members_.add(*s);
    }
    names_[s->id()] = std::move(name);
    members_push list;
    for (const auto& [id, n] : names_) list.members.push_back(n);
    s->push("onMembers", list);
    co_return join_reply{};
}

hearth::awaitable<void> room::on_message(const hearth::call_context& ctx, chat_message msg) {
    auto s = hearth::session::ref::from(ctx);
    if (!s || !members_.contains(*s)) co_return;  // join first
    members_.broadcast("onMessage", msg);
}

hearth::awaitable<void> room::on_closed(hearth::session::session_closed ev) {
    if (!members_.remove(hearth::session::ref(ev.gate_node, ev.session_id))) co_return;
    leave_push bye{names_[ev.session_id]};
    names_.erase(ev.session_id);
    members_.broadcast("onLeave", bye);
}

}  // namespace chat

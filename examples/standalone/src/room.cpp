#include "room.hpp"

#include "session/ref.hpp"

namespace mygame {

room_service::room_service() {
    handle(join, &room_service::on_join);
    handle(say, &room_service::on_say);
    handle(hearth::session::closed, &room_service::on_closed);
}

hearth::awaitable<hearth::result<join_reply>> room_service::on_join(const hearth::call_context& ctx,
                                                                    join_request) {
    auto session = hearth::session::ref::from(ctx);
    if (!session || ctx.client->uid.empty())
        co_return hearth::app_error("not_logged_in", "Call login.login before room.join.");
    members_.add(*session);
    uids_[session->id()] = ctx.client->uid;
    join_reply reply{node().name(), {}};
    for (const auto& [id, uid] : uids_) reply.members.push_back(uid);
    co_return reply;
}

hearth::awaitable<hearth::result<say_reply>> room_service::on_say(const hearth::call_context& ctx,
                                                                  say_request req) {
    auto session = hearth::session::ref::from(ctx);
    if (!session || !members_.contains(*session))
        co_return hearth::app_error("not_in_room", "Call room.join before room.say.");
    const nlohmann::json push = chat_push{ctx.client->uid, std::move(req.text)};
    members_.broadcast("onChat", push);
    co_return say_reply{members_.count()};
}

hearth::awaitable<void> room_service::on_closed(hearth::session::session_closed ev) {
    members_.remove(hearth::session::ref(ev.gate_node, ev.session_id));
    uids_.erase(ev.session_id);
    co_return;
}

}  // namespace mygame

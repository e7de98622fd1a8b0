#pragma once
// The chat room of the example, a port of Nano's chat demo:
// - "room.join" (Request, {"name": "..."}): binds a fresh uid to the session, pushes
//   "onMembers" {"members": [...]} to the caller, broadcasts "onNewUser" {"content": "..."} to
//   everyone else, joins the room, replies {"code":0,"result":"success"}.
// - "room.message" (Notify, {"name": "...", "content": "..."}): broadcasts "onMessage" with it.
// - when a member disconnects, "onLeave" {"name": "..."} goes to the others.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/service.hpp"
#include "session/gate_methods.hpp"
#include "session/group.hpp"

namespace chat {

// ---- what clients send ----------------------------------------------------------------------

/// "room.join". Any JSON is accepted: a missing or empty name (or a request that is not an
/// object) joins as a guest.
struct join_request {
    std::string name;
    friend void from_json(const nlohmann::json& j, join_request& r) {
        r.name = j.is_object() ? j.value("name", std::string()) : std::string();
    }
    friend void to_json(nlohmann::json& j, const join_request& r) { j = {{"name", r.name}}; }
};
struct join_reply {
    int code = 0;
    std::string result = "success";
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(join_reply, code, result)
};

/// "room.message", broadcast to the room as "onMessage" unchanged. Missing fields are empty.
struct chat_message {
    std::string name;
    std::string content;
    friend void from_json(const nlohmann::json& j, chat_message& m) {
        if (!j.is_object()) return;
        m.name = j.value("name", std::string());
        m.content = j.value("content", std::string());
    }
    friend void to_json(nlohmann::json& j, const chat_message& m) {
        j = {{"name", m.name}, {"content", m.content}};
    }
};

inline constexpr hearth::rpc::method<join_request, join_reply> join{"room.join"};
inline constexpr hearth::rpc::method<chat_message, void> message{"room.message"};

// ---- what the room pushes -------------------------------------------------------------------

struct new_user_push {  // "onNewUser"
    std::string content;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(new_user_push, content)
};
struct members_push {  // "onMembers"
    std::vector<std::string> members;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(members_push, members)
};
struct leave_push {  // "onLeave"
    std::string name;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(leave_push, name)
};

class room : public hearth::service {
  public:
    room();

  private:
    hearth::awaitable<hearth::result<join_reply>> on_join(const hearth::call_context& ctx, join_request req);
    hearth::awaitable<void> on_message(const hearth::call_context& ctx, chat_message msg);
    hearth::awaitable<void> on_closed(hearth::session::session_closed ev);

    hearth::session::group members_{"room"};
    std::map<std::uint64_t, std::string> names_;  // session id -> name
    std::uint64_t next_uid_ = 0;
};

}  // namespace chat

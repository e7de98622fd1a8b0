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

#include <nlohmann/json.hpp>

#include "framework/service.hpp"
#include "session/gate_methods.hpp"
#include "session/group.hpp"

namespace chat {

inline constexpr hearth::rpc::method<nlohmann::json, nlohmann::json> join{"room.join"};
inline constexpr hearth::rpc::method<nlohmann::json, void> message{"room.message"};
inline constexpr hearth::rpc::method<hearth::session::session_closed, void> closed{"room.session_closed"};

class room : public hearth::service {
  public:
    room();

  private:
    hearth::awaitable<hearth::result<nlohmann::json>> on_join(const hearth::call_context& ctx,
                                                              nlohmann::json req);
    hearth::awaitable<void> on_message(const hearth::call_context& ctx, nlohmann::json msg);
    hearth::awaitable<void> on_closed(hearth::session::session_closed ev);

    hearth::session::group members_{"room"};
    std::map<std::uint64_t, std::string> names_;  // session id -> name
    std::uint64_t next_uid_ = 0;
};

}  // namespace chat

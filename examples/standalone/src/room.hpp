#pragma once
// The room: logged-in sessions join; what one says is pushed to every member. One room per
// game node (the gate keeps each session on one game node).

#include <map>
#include <string>

#include "framework/service.hpp"
#include "messages.hpp"
#include "session/group.hpp"

namespace mygame {

class room_service : public hearth::service {
  public:
    room_service();

  private:
    hearth::awaitable<hearth::result<join_reply>> on_join(const hearth::call_context& ctx, join_request req);
    hearth::awaitable<hearth::result<say_reply>> on_say(const hearth::call_context& ctx, say_request req);
    hearth::awaitable<void> on_closed(hearth::session::session_closed ev);

    hearth::session::group members_{"room"};
    std::map<std::uint64_t, std::string> uids_;  // session id -> uid
};

}  // namespace mygame

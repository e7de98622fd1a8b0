#pragma once
// The messages clients and services exchange, as C++ types (JSON on the wire). A route's
// request and reply types are fixed by its rpc::method: a handler of the wrong signature, or a
// caller passing the wrong type, does not compile.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/method.hpp"
#include "session/gate_methods.hpp"

namespace mygame {

// ---- login (runs on the gate node) -----------------------------------------------------------
struct login_request {
    std::string name;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(login_request, name)
};
struct login_reply {
    std::string uid;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(login_reply, uid)
};
/// "login.login": binds the session to uid = name; a second login of that name kicks the first.
inline constexpr hearth::rpc::method<login_request, login_reply> login{"login.login"};

// ---- room (runs on the game nodes) ---------------------------------------------------------
struct join_request {  // no fields today: {} on the wire
    friend void to_json(nlohmann::json& j, const join_request&) { j = nlohmann::json::object(); }
    friend void from_json(const nlohmann::json&, join_request&) {}
};
struct join_reply {
    std::string node;                  ///< the game node that serves this session
    std::vector<std::string> members;  ///< uids in the room on that node, the caller included
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(join_reply, node, members)
};
struct say_request {
    std::string text;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(say_request, text)
};
struct say_reply {
    std::size_t delivered = 0;  ///< members the message was pushed to
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(say_reply, delivered)
};
/// Pushed to every member on route "onChat".
struct chat_push {
    std::string from;
    std::string text;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(chat_push, from, text)
};
/// "room.join": needs a logged-in session (error "not_logged_in" otherwise).
inline constexpr hearth::rpc::method<join_request, join_reply> join{"room.join"};
/// "room.say": pushes "onChat" {"from", "text"} to every member.
inline constexpr hearth::rpc::method<say_request, say_reply> say{"room.say"};

}  // namespace mygame

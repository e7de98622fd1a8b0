#pragma once
// The methods a gate service answers: how session::ref and session::group reach sessions from
// any service on any node. Remotely they are JSON (or the cluster's codec) like any other call;
// a gate on the caller's own node is called directly (gate::deliver_*), not through these
// messages. gate.reply carries a handler's reply behind its pushes (session/README.md,
// "Ordering").
//
// Close notifications: when a session closes, its gate sends `session_closed` to every service
// that served one of its requests, as a notify of the method hearth::session::closed (route
// "session.closed") addressed to that service. A service subscribes by registering a handler:
//
//   room() { handle(hearth::session::closed, &room::on_session_closed); }
//
// The route names the session module, which defines the method, not the subscriber; a client
// cannot send it (gates route a client's request by its route's service, and there is no
// service "session").
//
// Services that never registered it get nothing (the notify is dropped as not_found), and
// services that never served the session are not told.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/method.hpp"

namespace hearth::session {

struct push_request {
    std::uint64_t session_id = 0;
    std::string route;
    std::string payload;  ///< encoded JSON text
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(push_request, session_id, route, payload)

struct kick_request {
    std::uint64_t session_id = 0;
    std::string reason;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(kick_request, session_id, reason)

struct bind_request {
    std::uint64_t session_id = 0;
    std::string uid;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(bind_request, session_id, uid)

struct bind_response {
    std::uint64_t kicked_session = 0;  ///< the older session kicked by this bind, or 0
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(bind_response, kicked_session)

struct set_request {
    std::uint64_t session_id = 0;
    std::string key;
    nlohmann::json value;  ///< null erases the key
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(set_request, session_id, key, value)

struct get_request {
    std::uint64_t session_id = 0;
    std::string key;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(get_request, session_id, key)

/// One message per gate node for a group broadcast. `payload` is shared: a local broadcast hands
/// the same bytes to every gate worker without copying them.
struct broadcast_request {
    std::string route;
    std::shared_ptr<const std::string> payload;
    std::shared_ptr<const std::vector<std::uint64_t>> sessions;
};
void to_json(nlohmann::json& j, const broadcast_request& r);
void from_json(const nlohmann::json& j, broadcast_request& r);

/// The reply to a client's call, sent by the handler's node on the same link as what the
/// handler sent to the client (framework/client_replies.hpp), so that the gate hands it to the
/// waiting caller after those. `call_id` and `reply_worker` are the call's, as in a reply frame.
struct reply_request {
    std::uint64_t session_id = 0;
    std::uint32_t reply_worker = 0;
    std::uint64_t call_id = 0;
    bool ok = true;           ///< false: an error with the fields below
    int code = 0;             ///< rpc::errc when !ok
    std::string message;      ///< error message when !ok
    std::string app_code;     ///< the handler's code with remote_error
    nlohmann::json response;  ///< the response document when ok
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(reply_request, session_id, reply_worker, call_id, ok, code, message,
                                   app_code, response)

/// The payload of hearth::session::closed, sent to every service that served the session.
struct session_closed {
    std::string gate_node;
    std::uint64_t session_id = 0;
    std::string uid;     ///< the bound uid, or empty
    std::string reason;  ///< why it closed ("client closed", "kicked: ...", ...)
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(session_closed, gate_node, session_id, uid, reason)

namespace gate_method {
inline constexpr rpc::method<push_request, void> push{"gate.push"};
inline constexpr rpc::method<kick_request, void> kick{"gate.kick"};
inline constexpr rpc::method<bind_request, bind_response> bind{"gate.bind"};
inline constexpr rpc::method<set_request, void> set{"gate.set"};
inline constexpr rpc::method<get_request, nlohmann::json> get{"gate.get"};
inline constexpr rpc::method<broadcast_request, void> broadcast{"gate.broadcast"};
inline constexpr rpc::method<reply_request, void> reply{"gate.reply"};
}  // namespace gate_method

/// The close notification every service that served a session gets (see the top of this file).
inline constexpr rpc::method<session_closed, void> closed{"session.closed"};

}  // namespace hearth::session

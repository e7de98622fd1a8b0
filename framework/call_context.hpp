#pragma once
// What a handler knows about the message it is handling, besides the payload.

#include <cstdint>
#include <memory>
#include <string>

namespace hearth {

/// The client session a request came from, when a gate forwarded it. The session module turns
/// it into a session::ref; the framework only carries it (locally by pointer, remotely in the
/// cluster frame).
struct client_origin {
    std::string gate_node;         ///< node that hosts the client's gate
    std::uint64_t session_id = 0;  ///< the session's id on that gate
    std::string uid;               ///< bound user id, empty before bind
};

/// Passed to handlers that take it as their first parameter:
/// `awaitable<join_resp> on_join(const hearth::call_context& ctx, join_req req);`
struct call_context {
    std::string source;                           ///< "service@node" of the caller, or empty
    std::shared_ptr<const client_origin> client;  ///< set when the message came from a client
};

}  // namespace hearth

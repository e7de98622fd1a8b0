#pragma once
// Ordering a client's Response after what its handler sent to the client, across nodes.
//
// A gate forwards a client's Request to a service on another node as a call; the reply comes
// back on the gate node's own link (the socket the call went out on), while what the handler
// sends to the client meanwhile (session::ref pushes, kicks, data; group broadcasts) travels
// as notifies on the handler node's link to the gate node: two sockets, no order between them.
//
// The session module closes that gap without the framework knowing about gates: it counts
// every message it sends towards a gate on another node (note_remote_client_effect) and
// installs a client reply route. When a call that carries a client origin from another node
// ends and the count moved while its handler ran, the framework offers the reply to that
// route first; the session module sends it as one more notify on the same link as the
// effects, and the gate hands it to the waiting caller (node::deliver_reply) after them.
// A route that declines (returns false) leaves the reply to the usual path.
//
// Threads: every function here may be called from any thread.

#include <cstdint>

#include "framework/call_context.hpp"
#include "framework/remote_transport.hpp"

namespace hearth {

class node;

/// Sends `outcome` (the reply to call `call_id` of worker `reply_worker` on the client's gate
/// node) along the path the handler's messages to the client took. True when it took the
/// reply (the usual reply is then not sent); false leaves `outcome` untouched. Called on the
/// handler's worker.
using client_reply_route = bool (*)(node& self, const client_origin& client, std::uint32_t reply_worker,
                                    std::uint64_t call_id, remote_outcome& outcome);

/// Installs the route (one per process; installing again replaces it).
void set_client_reply_route(client_reply_route route) noexcept;
client_reply_route current_client_reply_route() noexcept;

/// Counts a message sent from this process towards a client session on another node.
void note_remote_client_effect() noexcept;
/// The count so far (relaxed; compared before and after a handler runs).
std::uint64_t remote_client_effects() noexcept;

}  // namespace hearth

#pragma once
// Ordering a client's Response after what its handler sent to the client, across nodes.
//
// A gate forwards a client's Request to a service on another node as a call; the reply comes
// back on the gate node's own link (the socket the call went out on), while what the handler
// sends to the client meanwhile (session::ref pushes, kicks, data; group broadcasts) travels
// as notifies on the handler node's link to the gate node: two sockets, no order between them.
//
// The session module closes that gap without the framework knowing about gates. Everything is
// per node (DESIGN.md section 1: several nodes share a test process and must not see each
// other's traffic): the node the handler runs on counts every message it sends towards a gate
// on another node (node::note_remote_client_effect), and the session module installs its
// client reply route on that node (node::set_client_reply_route) the first time it sends one.
// When a call that came from the client's own gate node ends and that node's count moved
// while its handler ran, the node offers the reply to its route first; the session module
// sends it as one more notify on the same link as the effects, and the gate hands it to the
// waiting caller (transport_host::deliver_reply) after them. A route that declines (returns false)
// leaves the reply to the usual path. Replies taken by the route are counted in
// hearth_client_replies_via_gate_total.

#include <cstdint>

#include "framework/call_context.hpp"
#include "framework/remote_transport.hpp"

namespace hearth {

class node;

/// Sends `outcome` (the reply to call `call_id` of worker `reply_worker` on the client's gate
/// node) along the path the handler's messages to the client took. True when it took the
/// reply (the usual reply is then not sent); false leaves `outcome` untouched. Called on the
/// handler's worker of `self`, the node the handler ran on.
using client_reply_route = bool (*)(node& self, const client_origin& client, std::uint32_t reply_worker,
                                    std::uint64_t call_id, remote_outcome& outcome);

}  // namespace hearth

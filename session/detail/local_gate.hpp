#pragma once
// How session::ref and session::group reach a gate: directly when it is on the caller's node,
// through the cluster otherwise (then the message counts as a remote client effect, and the
// reply of the handler sending it follows it on the same link: framework/client_replies.hpp).
// Private to the session module.

#include <string>

namespace hearth {
class node;
}

namespace hearth::session {
class gate;
}

namespace hearth::session::detail {

/// The gate service `service` of `gate_node` when that is `self`, else nullptr (also when the
/// service there is not a gate). Worker thread of `self`.
gate* local_gate(node& self, const std::string& gate_node, const std::string& service);

/// Counts a message `self` is about to send to a gate on another node, and installs the
/// session module's client reply route on `self` (the first time). Any thread.
void note_remote_effect(node& self);

}  // namespace hearth::session::detail

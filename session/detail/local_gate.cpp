#include "session/detail/local_gate.hpp"

#include <algorithm>

#include "framework/node.hpp"
#include "framework/service.hpp"
#include "session/gate.hpp"
#include "session/gate_methods.hpp"

namespace hearth::session::detail {

namespace {

/// framework/client_replies.hpp: the reply to a client's call goes to the client's gate as a
/// gate.reply notify, on the link that carried the handler's pushes before it.
bool reply_through_gate(node& self, const client_origin& client, std::uint32_t reply_worker,
                        std::uint64_t call_id, remote_outcome& outcome) {
    // Only towards a node whose "gate" (the name session::ref::from(ctx) assumes) is up: a
    // gate.reply nobody handles would lose the reply.
    remote_transport* t = self.transport_ptr();
    if (!t) return false;
    const auto hosts = t->nodes_hosting("gate");
    if (std::find(hosts.begin(), hosts.end(), client.gate_node) == hosts.end()) return false;
    reply_request r;
    r.session_id = client.session_id;
    r.reply_worker = reply_worker;
    r.call_id = call_id;
    if (outcome.error) {
        r.ok = false;
        r.code = static_cast<int>(outcome.error->code);
        r.message = outcome.error->message;
        r.app_code = outcome.error->app_code;
    } else {
        auto doc = rpc::decode_json(outcome.codec, outcome.payload);
        if (!doc) return false;  // the usual path reports it as it always did
        r.response = std::move(*doc);
    }
    return hearth::notify(self, gate_method::reply, "gate@" + client.gate_node, std::move(r)).has_value();
}

}  // namespace

gate* local_gate(node& self, const std::string& gate_node, const std::string& service) {
    if (gate_node != self.name()) return nullptr;
    return dynamic_cast<gate*>(self.find_service(service));
}

void note_remote_effect(node& self) {
    // Installed on the node that sends (the handler's), not process-wide: another node in the
    // same process keeps its own route and count.
    if (self.current_client_reply_route() != &reply_through_gate)
        self.set_client_reply_route(&reply_through_gate);
    self.note_remote_client_effect();
}

}  // namespace hearth::session::detail

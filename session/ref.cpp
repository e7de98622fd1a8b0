#include "session/ref.hpp"

#include <stdexcept>

#include "framework/service.hpp"
#include "framework/worker.hpp"
#include "session/detail/local_gate.hpp"
#include "session/detail/send_failure.hpp"
#include "session/gate.hpp"
#include "session/gate_methods.hpp"

namespace hearth::session {

namespace {

node& current_node() {
    worker* w = worker::current();
    if (!w)
        throw std::logic_error("hearth::session::ref operations run on a worker thread of a running node.");
    return w->owner();
}

}  // namespace

std::optional<ref> ref::from(const call_context& ctx) {
    if (!ctx.client || ctx.client->session_id == 0) return std::nullopt;
    return ref(ctx.client->gate_node, ctx.client->session_id);
}

void ref::push(std::string_view route, const nlohmann::json& msg) const {
    detail::note_send_failure("push", try_push(route, msg));
}

result<void> ref::try_push(std::string_view route, const nlohmann::json& msg) const {
    return try_push_raw(route, msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void ref::push_raw(std::string_view route, std::string payload) const {
    detail::note_send_failure("push", try_push_raw(route, std::move(payload)));
}

void ref::kick(std::string reason) const {
    detail::note_send_failure("kick", try_kick(std::move(reason)));
}

void ref::set(std::string key, nlohmann::json value) const {
    detail::note_send_failure("set", try_set(std::move(key), std::move(value)));
}

// Pushes, kicks and data go straight to the worker that owns what they change when the gate is
// on this node, and count as remote client effects otherwise (session/README.md, "Ordering").

result<void> ref::try_push_raw(std::string_view route, std::string payload) const {
    node& self = current_node();
    if (gate* g = detail::local_gate(self, gate_node_, service_)) {
        g->deliver_push(id_, std::string(route), std::move(payload));
        return {};
    }
    detail::note_remote_effect(self);
    push_request r{id_, std::string(route), std::move(payload)};
    return hearth::notify(self, gate_method::push, gate_address(), std::move(r));
}

result<void> ref::try_kick(std::string reason) const {
    node& self = current_node();
    if (gate* g = detail::local_gate(self, gate_node_, service_)) {
        g->deliver_kick(id_, std::move(reason));
        return {};
    }
    detail::note_remote_effect(self);
    kick_request r{id_, std::move(reason)};
    return hearth::notify(self, gate_method::kick, gate_address(), std::move(r));
}

awaitable<result<void>> ref::bind(std::string uid, std::chrono::milliseconds timeout) const {
    bind_request r{id_, std::move(uid)};
    const std::string address = gate_address();
    auto out = co_await hearth::call(gate_method::bind, address, std::move(r), timeout);
    if (!out) co_return std::move(out).error();
    co_return result<void>{};
}

result<void> ref::try_set(std::string key, nlohmann::json value) const {
    node& self = current_node();
    if (gate* g = detail::local_gate(self, gate_node_, service_)) {
        g->deliver_set(id_, std::move(key), std::move(value));
        return {};
    }
    detail::note_remote_effect(self);
    set_request r{id_, std::move(key), std::move(value)};
    return hearth::notify(self, gate_method::set, gate_address(), std::move(r));
}

awaitable<result<nlohmann::json>> ref::get(std::string key, std::chrono::milliseconds timeout) const {
    get_request r{id_, std::move(key)};
    const std::string address = gate_address();
    co_return co_await hearth::call(gate_method::get, address, std::move(r), timeout);
}

}  // namespace hearth::session

#pragma once
// session::ref: a client session seen from any service on any node, as the value
// {gate node, session id}. Every operation is a message to "gate@<gate node>" (see
// session/gate_methods.hpp): local gates get it through memory, remote ones through the cluster.
//
//   awaitable<join_resp> room::on_join(const hearth::call_context& ctx, join_req req) {
//       auto s = hearth::session::ref::from(ctx);      // nullopt when not called for a client
//       auto bound = co_await s->bind(req.uid);       // kicks an older login of that uid
//       s->push("onMembers", members);
//   }
//
// Threading: a ref is a plain value (copy it anywhere). Its operations must run on a worker
// thread of a running node (inside handlers, or node::spawn'ed coroutines).
// Ordering: pushes (and group broadcasts) from one service to one session arrive in the order
// sent, so push then kick delivers the push first; and everything a handler sends to its own
// session before returning reaches it before the handler's Response, on any worker and from any
// node (session/README.md, "Ordering").

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "rpc/result.hpp"

namespace hearth::session {

class ref {
  public:
    ref() = default;
    ref(std::string gate_node, std::uint64_t session_id, std::string gate_service = "gate")
        : gate_node_(std::move(gate_node)), service_(std::move(gate_service)), id_(session_id) {}

    /// The session a request came from, or nullopt when the caller was not a client.
    static std::optional<ref> from(const call_context& ctx);

    const std::string& gate_node() const noexcept { return gate_node_; }
    std::uint64_t id() const noexcept { return id_; }
    /// "gate@<gate node>".
    std::string gate_address() const { return service_ + "@" + gate_node_; }
    bool valid() const noexcept { return id_ != 0; }

    // bind() and get() are coroutines; their 5 s default is an overload, not a default
    // argument (docs/framework.md, "Toolchain rules").

    // push, push_raw, kick and set are fire-and-forget: a failure (unreachable, overloaded,
    // not_found when there is no gate there) is counted in
    // hearth_session_send_failures_total{op} and logged; the try_ forms return it instead.
    // Accepted means queued towards the gate; a session that closed meanwhile drops it.

    /// Sends a Push: route and msg (anything convertible to nlohmann::json, such as a struct
    /// with NLOHMANN_DEFINE_TYPE_*).
    void push(std::string_view route, const nlohmann::json& msg) const;
    result<void> try_push(std::string_view route, const nlohmann::json& msg) const;
    /// As push(), with a payload that is already JSON text.
    void push_raw(std::string_view route, std::string payload) const;
    result<void> try_push_raw(std::string_view route, std::string payload) const;
    /// Sends a Kick packet with {"reason": reason}, flushes it and closes the session.
    void kick(std::string reason) const;
    result<void> try_kick(std::string reason) const;
    /// Binds a uid to the session (carried in later requests' client_origin). Duplicate login:
    /// with the gate's kick_old policy an older session of that uid is kicked ("duplicate login");
    /// with reject_new this fails with remote_error code "duplicate_login". Also not_found when
    /// the session has closed. The uid is unique per gate; across gates the application must
    /// arbitrate (e.g. a login service that kicks the old ref).
    /// Waits at most `timeout` (5 s without it) for the gate's answer.
    awaitable<result<void>> bind(std::string uid, std::chrono::milliseconds timeout) const;
    awaitable<result<void>> bind(std::string uid) const {
        return bind(std::move(uid), std::chrono::seconds(5));
    }
    /// Per-session data kept by the gate until the session closes; a null value erases the key.
    /// Fire-and-forget like push().
    void set(std::string key, nlohmann::json value) const;
    result<void> try_set(std::string key, nlohmann::json value) const;
    /// The value of a key (null when unset); not_found when the session has closed.
    /// Waits at most `timeout` (5 s without it).
    awaitable<result<nlohmann::json>> get(std::string key, std::chrono::milliseconds timeout) const;
    awaitable<result<nlohmann::json>> get(std::string key) const {
        return get(std::move(key), std::chrono::seconds(5));
    }

    friend bool operator==(const ref& a, const ref& b) noexcept {
        return a.id_ == b.id_ && a.gate_node_ == b.gate_node_ && a.service_ == b.service_;
    }

  private:
    std::string gate_node_;
    std::string service_ = "gate";
    std::uint64_t id_ = 0;
};

struct ref_hash {
    std::size_t operator()(const ref& r) const noexcept {
        return std::hash<std::string>{}(r.gate_node()) ^ (std::hash<std::uint64_t>{}(r.id()) * 31);
    }
};

}  // namespace hearth::session

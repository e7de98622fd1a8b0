#pragma once
// The seam between the framework and the cluster: how a call leaves this node
// (remote_transport, which the cluster implements) and how requests and replies from other
// nodes enter it (transport_host, the node's side). The framework never names the cluster.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "rpc/codec.hpp"
#include "rpc/result.hpp"

namespace hearth {

class node;

/// Where a reply must go: the caller's worker and its call id there.
struct reply_address {
    unsigned worker = 0;
    std::uint64_t call_id = 0;
};

/// A call or notify addressed to a service on another node. The views (and `client`) need to
/// stay valid only during remote_transport::send(): a transport copies what it keeps.
struct outbound_message {
    std::string_view node;     ///< destination node name
    std::string_view service;  ///< destination service name
    std::string_view route;    ///< "service.method" of the method descriptor
    std::string_view payload;  ///< the request, encoded with the transport's codec()
    bool one_way = false;      ///< notify: no reply expected, reply_to is unused
    reply_address reply_to;
    clock::time_point deadline{};  ///< the caller stops waiting then
    std::string_view source;       ///< "service@node" of the caller, or empty
    const client_origin* client = nullptr;
};

/// The outcome of a remote call as it comes back from the network.
struct remote_outcome {
    std::optional<rpc::error> error;
    rpc::codec codec = rpc::codec::json;
    std::string payload;  ///< the encoded response when there is no error
};

class remote_transport {
  public:
    virtual ~remote_transport() = default;

    /// The codec payloads must be encoded with.
    virtual rpc::codec codec() const noexcept = 0;

    /// Hands a message to the cluster. Called on a worker thread; never blocks.
    /// Returns an error when the message was not accepted: `unreachable` for a node that is
    /// unknown or removed, `overloaded` when the bounded queue to that node is full. Once
    /// accepted, a call gets at most one transport_host::deliver_reply() (success or error); the
    /// caller's own timeout bounds the wait whatever happens.
    virtual std::optional<rpc::error> send(const outbound_message& m) = 0;

    /// Names of the nodes that currently host `service` and are up (for routing client
    /// requests); empty when none.
    virtual std::vector<std::string> nodes_hosting(std::string_view service) const = 0;
};

// ---- the node's side: what a transport hands to the node it serves ------------------------

/// Where the outcomes of inbound calls go (the cluster's agent writes them back on its
/// link). Called on the callee service's worker thread, or on the dispatching thread for
/// errors known at once; `call_id` and `worker` are the entry's, echoed.
class inbound_replies {
  public:
    virtual void reply(std::uint64_t call_id, std::uint32_t worker, remote_outcome&& outcome) = 0;

  protected:
    ~inbound_replies() = default;
};

/// One call or notify for a local service from another node (or an encoded call made on
/// this node). The views need to stay valid only during transport_host::dispatch_inbound().
struct inbound_entry {
    std::string_view route;
    std::string_view payload;  ///< encoded with the batch's codec
    std::string_view source;   ///< the caller's service, or its "service@node"; may be empty
    std::shared_ptr<const client_origin> client;
    /// When the caller stops waiting (from the frame's remaining time); a call whose
    /// deadline has passed before its handler starts is answered `timeout` without running
    /// the handler. Default: no deadline.
    clock::time_point deadline{};
    bool one_way = true;             ///< a notify: no reply
    std::uint64_t call_id = 0;       ///< echoed to inbound_replies::reply
    std::uint32_t reply_worker = 0;  ///< echoed to inbound_replies::reply
};

/// Consecutive requests for one service, typically all those of one socket read.
struct inbound_batch {
    std::string_view service;
    rpc::codec codec = rpc::codec::json;
    /// When set, each non-empty entry source becomes "source@source_node".
    std::string_view source_node;
    std::span<inbound_entry> entries;
    /// Required when an entry expects a reply.
    std::shared_ptr<inbound_replies> replies;
};

/// A transport's door into the node it serves: `hearth::transport_host(node).deliver_reply(...)`.
/// These operations are private to hearth::node, so application code cannot inject replies
/// or requests; a transport (the cluster, a test's in-process loopback, the session module's
/// gate replies) reaches them here. A plain value holding a reference: no virtual call, no
/// allocation. Defined at the bottom of framework/node.hpp.
class transport_host {
  public:
    explicit transport_host(node& n) noexcept : node_(n) {}

    /// A reply that came back from another node for the call `to`. Any thread. A reply whose
    /// call has already completed (timeout, cancellation) is dropped and counted
    /// (hearth_late_replies_total).
    void deliver_reply(reply_address to, remote_outcome outcome);

    /// Dispatches requests for a local service, in order. Any thread. The whole batch costs
    /// one allocation and one mailbox post (a block holding copies of the routes and payloads
    /// and one message per request; it is freed when its last handler ends). Errors known at
    /// once (no such service, mailbox full) go to `replies` before this returns; notifies
    /// refused that way are counted in hearth_inbound_refused_total.
    void dispatch_inbound(inbound_batch&& batch);

    /// inbound_replies that deliver into this node (deliver_reply): for encoded calls between
    /// services of this node and for in-process transports.
    std::shared_ptr<inbound_replies> replies_to_this_node() const;

  private:
    node& node_;
};

}  // namespace hearth

#pragma once
// The seam between the framework and the cluster: how a call leaves this node and how its
// reply comes back. The cluster module implements it; the framework never names the cluster.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "rpc/codec.hpp"
#include "rpc/result.hpp"

namespace hearth {

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
    /// accepted, a call gets at most one node::deliver_reply() (success or error); the
    /// caller's own timeout bounds the wait whatever happens.
    virtual std::optional<rpc::error> send(const outbound_message& m) = 0;

    /// Names of the nodes that currently host `service` and are up (for routing client
    /// requests); empty when none.
    virtual std::vector<std::string> nodes_hosting(std::string_view service) const = 0;
};

}  // namespace hearth

#pragma once
// Untyped calls: the payload is already encoded (a gate forwarding a client's JSON, a proxy).
// The callee decodes it with its handler's request type, locally or on another node.

#include <chrono>
#include <string>
#include <string_view>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "rpc/codec.hpp"
#include "rpc/result.hpp"

namespace hearth {

class node;

/// Calls `route` ("service.method") on the service at `address` with `payload` encoded in
/// `codec`; the reply payload comes back in the same codec (transcoded if the cluster uses
/// another one). Errors as for call(); a payload that does not decode into the handler's
/// request type is bad_request. Must be awaited on a worker of a running node.
awaitable<result<std::string>> call_encoded(std::string_view address, std::string_view route,
                                            rpc::codec codec, std::string payload,
                                            std::chrono::nanoseconds timeout, call_context ctx);
awaitable<result<std::string>> call_encoded(std::string_view address, std::string_view route,
                                            rpc::codec codec, std::string payload,
                                            std::chrono::nanoseconds timeout);

/// One-way variant; any thread. The result says whether the message was accepted.
result<void> notify_encoded(node& self, std::string_view address, std::string_view route, rpc::codec codec,
                            std::string payload, call_context ctx = {});

}  // namespace hearth

#pragma once
// The errors the framework itself gives calls and notifies, each sentence written once. Every
// path that refuses or ends a call (the typed call and notify, the raw ones, the node's inbound
// dispatch, services, the pending-call table) builds its error here, so the same failure reads
// the same wherever it happens. Error paths only: the functions are out of line and cold.

#include <chrono>
#include <string_view>

#include "rpc/result.hpp"

namespace hearth::detail::call_errors {

/// not_found: "'x' is not a valid address."
[[gnu::cold]] rpc::error invalid_address(std::string_view address);
/// not_found: "'x' is not a route (service.method)."
[[gnu::cold]] rpc::error invalid_route(std::string_view route);
/// not_found: "No service 's' on node 'n'."
[[gnu::cold]] rpc::error no_service(std::string_view service, std::string_view node);
/// not_found: "Service 's' has no method 'r'."
[[gnu::cold]] rpc::error no_method(std::string_view service, std::string_view route);
/// bad_request: the route is registered with other request or response types.
[[gnu::cold]] rpc::error type_mismatch(std::string_view service, std::string_view route);
/// overloaded: "The mailbox of service 's' is full."
[[gnu::cold]] rpc::error mailbox_full(std::string_view service);
/// unreachable: a remote address on a node that is not in a cluster.
[[gnu::cold]] rpc::error not_in_cluster(std::string_view node);
/// timeout: "No reply within N ms."
[[gnu::cold]] rpc::error no_reply_within(std::chrono::milliseconds timeout);
/// timeout: the caller's deadline passed before the handler started.
[[gnu::cold]] rpc::error deadline_passed();
/// handler_failed: "The handler of 'r' failed." (the exception's text stays in the log).
[[gnu::cold]] rpc::error handler_failed(std::string_view route);
/// cancelled: the target service has stopped.
[[gnu::cold]] rpc::error service_stopped(std::string_view service);
/// cancelled: the node is stopping.
[[gnu::cold]] rpc::error node_stopping();
/// cancelled: the caller cancelled the call.
[[gnu::cold]] rpc::error cancelled_by_caller();
/// cancelled: the call ended without a reply, an error or a cancellation (a safety net).
[[gnu::cold]] rpc::error no_outcome();

}  // namespace hearth::detail::call_errors

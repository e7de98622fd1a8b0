#include "framework/detail/call_errors.hpp"

#include <string>

namespace hearth::detail::call_errors {

namespace {

std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '\'';
    out += s;
    out += '\'';
    return out;
}

}  // namespace

rpc::error invalid_address(std::string_view address) {
    return {rpc::errc::not_found, quoted(address) + " is not a valid address."};
}

rpc::error invalid_route(std::string_view route) {
    return {rpc::errc::not_found, quoted(route) + " is not a route (service.method)."};
}

rpc::error no_service(std::string_view service, std::string_view node) {
    return {rpc::errc::not_found, "No service " + quoted(service) + " on node " + quoted(node) + "."};
}

rpc::error no_method(std::string_view service, std::string_view route) {
    return {rpc::errc::not_found, "Service " + quoted(service) + " has no method " + quoted(route) + "."};
}

rpc::error type_mismatch(std::string_view service, std::string_view route) {
    return {rpc::errc::bad_request, "Method " + quoted(route) + " of service " + quoted(service) +
                                        " is registered with other request or response types."};
}

rpc::error mailbox_full(std::string_view service) {
    return {rpc::errc::overloaded, "The mailbox of service " + quoted(service) + " is full."};
}

rpc::error not_in_cluster(std::string_view node) {
    return {rpc::errc::unreachable, "Node " + quoted(node) + " is unknown: this node is not in a cluster."};
}

rpc::error no_reply_within(std::chrono::milliseconds timeout) {
    return {rpc::errc::timeout, "No reply within " + std::to_string(timeout.count()) + " ms."};
}

rpc::error deadline_passed() {
    return {rpc::errc::timeout, "The call's deadline passed before its handler started."};
}

rpc::error handler_failed(std::string_view route) {
    return {rpc::errc::handler_failed, "The handler of " + quoted(route) + " failed."};
}

rpc::error service_stopped(std::string_view service) {
    return {rpc::errc::cancelled, "Service " + quoted(service) + " has stopped."};
}

rpc::error node_stopping() {
    return {rpc::errc::cancelled, "The node is stopping."};
}

rpc::error cancelled_by_caller() {
    return {rpc::errc::cancelled, "The call was cancelled by its caller."};
}

rpc::error no_outcome() {
    return {rpc::errc::cancelled, "The call ended without an outcome."};
}

}  // namespace hearth::detail::call_errors

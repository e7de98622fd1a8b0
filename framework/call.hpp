#pragma once
// hearth::call and hearth::notify: how a service (or any coroutine on a worker) talks to
// another service, on this node or on another one. The contract is here; the bodies are in
// framework/impl/call.hpp, included at the bottom.
//
//   inline constexpr hearth::rpc::method<join_req, join_resp> join{"room.join"};
//
//   auto r = co_await hearth::call(join, req, 1s);                  // "room" on this node
//   auto r = co_await hearth::call(join, "room@game-1", req, 1s);   // "room" on node game-1
//   auto r = co_await hearth::call(join, 1s, nick);                 // builds join_req{nick}
//   if (!r) log.warn("{}", r.error().describe());
//
// Addresses: "service" (this node) or "service@node". The forms without an address call the
// method's own service on this node: "room" for the route "room.join".
//
// When it completes: once, with the reply, or with an error when it fails. Errors are values
// (result<Resp>), never exceptions:
//   not_found       the address is not valid, or there is no such service or method
//   unreachable     the node is unknown, down, or left while the call was in flight
//   overloaded      a mailbox or a queue on the way is full (answered at once)
//   timeout         no reply within `timeout`; the callee may still run, its late reply is
//                   dropped and counted (hearth_late_replies_total)
//   cancelled       the awaiting operation was cancelled, or the node is stopping
//   bad_request     the request does not decode into the handler's type (remote calls), or
//                   the handler's types are not the method's
//   handler_failed  the handler threw; the details are in the callee's log
//   remote_error    the handler returned app_error(code, message); both arrive intact
// A call is never retried: the handler runs at most once.
//
// Cancellation: cancelling the awaiting operation (for example `call(...) || timer` with
// Asio's awaitable operators, or a terminal cancellation of the coroutine) completes the call
// with `cancelled` at once. The callee is not told.
//
// Threads: call() must be awaited on a worker of a running node (inside a handler, or a
// coroutine started with node::spawn); elsewhere it throws std::logic_error. It resumes on the
// caller's worker. The request moves to the callee when it is local (nothing is serialized);
// a remote request is encoded on the caller's worker.
//
// GCC 12: a braced temporary or a defaulted class-type argument inside a co_await expression
// is destroyed twice (docs/framework.md, "Toolchain rules"). Name the request first, or let
// the emplacing form `call(method, timeout, args...)` build it before the coroutine starts.
// The emplacing form takes its arguments by reference: pass names and literals
// (`call(join, 1s, nick)`), not class-type temporaries (`std::string("x")` would again be a
// temporary of the co_await expression).

#include <chrono>
#include <concepts>
#include <string_view>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "framework/detail/make_request.hpp"
#include "framework/service.hpp"
#include "rpc/method.hpp"
#include "rpc/result.hpp"

namespace hearth {

class node;

/// Calls `m` on the service at `address` and waits for the reply, at most `timeout`.
template <class Req, class Resp>
awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m, std::string_view address, Req req,
                             std::chrono::nanoseconds timeout);

/// Calls `m` on its own service on this node (m.service(): "room" for "room.join").
template <class Req, class Resp>
awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m, Req req, std::chrono::nanoseconds timeout);

/// Builds the request as `Req(args...)` (`Req{args...}` for an aggregate, `Req{}` without
/// arguments) in a plain function, then
/// calls `m` on its own service on this node.
template <class Req, class Resp, class... Args>
requires detail::request_from<Req, Args...> awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m,
                                                                         std::chrono::nanoseconds timeout,
                                                                         Args&&... args);

/// Builds the request as `Req(args...)`, then calls `m` on the service at `address`.
template <class Req, class Resp, class... Args>
requires detail::request_from<Req, Args...> awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m,
                                                                         std::string_view address,
                                                                         std::chrono::nanoseconds timeout,
                                                                         Args&&... args);

/// Like call(), carrying the caller's address and the client a request came from (gates use
/// this to forward a client's request).
template <class Req, class Resp>
awaitable<result<Resp>> call(const rpc::method<Req, Resp>& m, std::string_view address, Req req,
                             std::chrono::nanoseconds timeout, call_context ctx);

/// Sends a one-way message (a method whose Resp is usually void) and returns at once. The
/// result says whether the message was accepted (errors: not_found, overloaded, unreachable);
/// the handler's outcome is not reported. Must run on a worker thread (elsewhere it throws
/// std::logic_error: use the overload that takes the node).
template <class Req, class Resp>
result<void> notify(const rpc::method<Req, Resp>& m, std::string_view address, Req req);

/// notify() to the method's own service on this node.
template <class Req, class Resp>
result<void> notify(const rpc::method<Req, Resp>& m, Req req);

/// notify() from any thread of the process, on behalf of node `self`.
template <class Req, class Resp>
result<void> notify(node& self, const rpc::method<Req, Resp>& m, std::string_view address, Req req,
                    call_context ctx = {});

}  // namespace hearth

#include "framework/impl/call.hpp"

#pragma once
// Deadlines of a client connection before it becomes a session (the WebSocket port's HTTP
// exchange, the TLS handshake of the TLS and wss ports). Private to the session module; only
// .cpp files include it (it pulls in Asio's awaitable operators).

#include <tuple>
#include <utility>
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>

#include "framework/asio.hpp"
#include "session/detail/gate_access.hpp"

namespace hearth::session::detail {

/// Awaits `op` (an awaitable yielding a tuple whose first element is an error_code), but no
/// later than `deadline`: then the operation is cancelled and the error is timed_out. Both
/// complete before this returns, so nothing outlives the caller's frame (a timer handler that
/// closed the socket instead could run after the frame holding the socket was gone).
template <class Tuple>
awaitable<Tuple> before(asio::steady_timer& deadline, awaitable<Tuple> op) {
    using namespace asio::experimental::awaitable_operators;
    // The timer completes either at the deadline or when cancelled (a shutdown drain ends the
    // connection that way): both mean "stop waiting".
    auto r = co_await (std::move(op) || deadline.async_wait(tuple_awaitable));
    if (r.index() == 0) co_return std::get<0>(std::move(r));
    Tuple timed_out{};
    std::get<0>(timed_out) = asio::error::timed_out;
    co_return timed_out;
}

/// Keeps a connection's handshake deadline known to the gate for as long as the coroutine frame
/// (and so the timer) lives: shutdown's drain cancels it, so a connection that has not become a
/// session yet does not hold shutdown up. Construct and destroy on worker `worker_index`.
struct handshake_deadline_registration {
    gate& g;
    unsigned worker_index;
    asio::steady_timer* deadline;
    handshake_deadline_registration(gate& owner, unsigned index, asio::steady_timer& t)
        : g(owner), worker_index(index), deadline(&t) {
        gate_access::track_http_deadline(g, worker_index, deadline);
    }
    ~handshake_deadline_registration() { gate_access::untrack_http_deadline(g, worker_index, deadline); }
    handshake_deadline_registration(const handshake_deadline_registration&) = delete;
    handshake_deadline_registration& operator=(const handshake_deadline_registration&) = delete;
};

}  // namespace hearth::session::detail

#pragma once
// The TLS and wss ports of a gate: each accepted connection first completes a TLS handshake
// (within the gate's handshake timeout), then becomes what the plain port makes of a socket, over
// the TLS stream: a Pomelo session (TLS port) or the WebSocket port's HTTP exchange (wss port).
// Private to the session module.

#include <boost/asio/ip/tcp.hpp>

#include "framework/asio.hpp"
#include "session/detail/address_lease.hpp"
#include "session/detail/connection.hpp"

namespace hearth {
class worker;
}

namespace hearth::session {
class gate;
}

namespace hearth::session::detail {

/// Serves one connection of a TLS port (`kind` is transport_kind::tls or ::wss). Runs on worker
/// `w`, which owns `socket`. The TLS context is the gate's current one (a reload affects only
/// later connections). A handshake that fails or does not finish in time is counted in
/// hearth_gate_tls_errors_total{reason} and logged at most once per 5 s per worker; the socket
/// is closed and the admission and address slot (`lease`) released.
awaitable<void> serve_tls_port(gate& g, worker& w, asio::ip::tcp::socket socket, address_lease lease,
                               transport_kind kind);

}  // namespace hearth::session::detail

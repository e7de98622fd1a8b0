#pragma once
// The WebSocket port of a gate: each accepted connection speaks HTTP until it upgrades to a
// WebSocket session (ws_connection) or ends; over TLS on the wss port. Private to the session module.

#include <boost/asio/ip/tcp.hpp>

#include "framework/asio.hpp"
#include "session/detail/address_lease.hpp"

namespace hearth {
class worker;
}

namespace hearth::session {
class gate;
}

namespace hearth::session::detail {

/// Serves one connection of the WebSocket port: upgrades it to a WebSocket session (on any path,
/// or only on `ws_path` when `ws_path_only`), or answers plain HTTP GETs with the gate's static
/// files, all within the handshake timeout. Runs on worker `w`, which owns `socket`; the
/// admission taken by the listener is released here unless a session takes it over, and so is
/// the client address's slot (`lease`, empty when the address is not tracked).
/// `Stream` is asio::ip::tcp::socket (the ws port) or the TLS stream of tls_stream.hpp after its
/// handshake (the wss port: https and wss); both are instantiated in ws_port.cpp.
template <class Stream>
awaitable<void> serve_ws_port(gate& g, worker& w, Stream socket, address_lease lease);

}  // namespace hearth::session::detail

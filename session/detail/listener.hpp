#pragma once
// A gate's listening socket (TCP clients, or the WebSocket + static HTTP port). Private.
//
// The acceptor lives on the gate's home worker; each accepted socket is opened directly on the
// io_context of the worker chosen round-robin, and its session starts there: a TCP session at
// once (tcp_connection), the WebSocket port's HTTP exchange first (serve_ws_port, ws_port.hpp),
// and on the TLS and wss ports the TLS handshake before either (serve_tls_port, tls_port.hpp).

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "framework/asio.hpp"
#include "session/detail/connection.hpp"

namespace hearth {
class worker;
}

namespace hearth::session {
class gate;
}

namespace hearth::session::detail {

class listener : public std::enable_shared_from_this<listener> {
  public:
    listener(gate& g, transport_kind kind);

    /// Binds and listens; returns the bound port. Throws boost::system::system_error, or
    /// std::invalid_argument for a port outside 0..65535.
    /// On the gate's home worker.
    std::uint16_t open(const std::string& host, int port);
    /// Starts the accept loop on the gate's home worker.
    void start();
    /// Closes the acceptor (the loop ends); idempotent. On the gate's home worker.
    void stop();

  private:
    static awaitable<void> accept_loop(std::shared_ptr<listener> self);

    gate& gate_;
    transport_kind kind_;
    asio::ip::tcp::acceptor acceptor_;
};

}  // namespace hearth::session::detail

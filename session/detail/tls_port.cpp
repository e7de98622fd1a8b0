#include "session/detail/tls_port.hpp"

#include <boost/asio/ssl/stream.hpp>

#include "framework/tls.hpp"
#include "framework/worker.hpp"
#include "session/detail/deadline.hpp"
#include "session/detail/gate_access.hpp"
#include "session/detail/tcp_connection.hpp"
#include "session/detail/tls_stream.hpp"
#include "session/detail/ws_port.hpp"
#include "session/gate.hpp"

namespace hearth::session::detail {

using tcp = asio::ip::tcp;

awaitable<void> serve_tls_port(gate& g, worker& w, tcp::socket socket, address_lease lease,
                               transport_kind kind) {
    const auto context = gate_access::tls(g);
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    tls_stream stream(std::move(socket), context->native());
    {
        // The TLS handshake is the first part of the client's handshake: the same timeout
        // bounds a client that opens TLS and stalls, and shutdown's drain cuts it short.
        asio::steady_timer deadline(w.context());
        deadline.expires_after(g.options().handshake_timeout);
        handshake_deadline_registration registered(g, w.index(), deadline);
        std::tie(ec) = co_await before(deadline, stream.async_handshake(tls_stream::server, tuple_awaitable));
    }
    if (!ec && gate_access::draining(g)) ec = asio::error::shut_down;
    if (ec) {
        gate_access::tls_failed(g, w.index(), ec);
        boost::system::error_code ignored;
        stream.lowest_layer().close(ignored);
        gate_access::release_admission(g);
        lease.reset();
        co_return;
    }
    gate_access::tls_established(g);
    if (kind == transport_kind::tls) {
        auto c = std::make_shared<tcp_connection<tls_stream>>(
            g, w, gate_access::next_session_id(g, w.index()), std::move(stream));
        c->hold_address(std::move(lease));
        c->start();
    } else {
        co_await serve_ws_port(g, w, std::move(stream), std::move(lease));
    }
}

}  // namespace hearth::session::detail

#include "session/detail/listener.hpp"

#include <stdexcept>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>

#include "framework/log.hpp"
#include "framework/node.hpp"
#include "framework/timer.hpp"
#include "framework/worker.hpp"
#include "session/detail/address_lease.hpp"
#include "session/detail/ip_network.hpp"
#include "session/detail/tcp_connection.hpp"
#include "session/detail/tls_port.hpp"
#include "session/detail/ws_port.hpp"
#include "session/gate.hpp"

namespace hearth::session::detail {

listener::listener(gate& g, transport_kind kind) : gate_(g), kind_(kind), acceptor_(g.home().context()) {}

std::uint16_t listener::open(const std::string& host, int port) {
    // A silent narrowing would listen on another port (70000 -> 4464).
    if (port < 0 || port > 65535)
        throw std::invalid_argument("port " + std::to_string(port) + " is not in 0..65535");
    asio::ip::tcp::endpoint ep(asio::ip::make_address(host), static_cast<std::uint16_t>(port));
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    return acceptor_.local_endpoint().port();
}

void listener::start() {
    gate& g = gate_;
    asio::co_spawn(gate_.home().executor(), accept_loop(shared_from_this()), [&g](std::exception_ptr e) {
        if (e) log_spawn_failure(g.node(), "gate accept loop", e);
    });
}

void listener::stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
}

awaitable<void> listener::accept_loop(std::shared_ptr<listener> self) {
    gate& g = self->gate_;
    node& n = g.node();
    log_throttle throttle(std::chrono::seconds(5));
    while (self->acceptor_.is_open()) {
        const unsigned index = g.next_worker_.fetch_add(1, std::memory_order_relaxed) % n.worker_count();
        worker& w = n.worker_at(index);
        asio::ip::tcp::endpoint peer;  // from accept(2) itself: valid even if the client already reset
        auto [ec, socket] =
            co_await self->acceptor_.async_accept(w.context(), peer, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) break;
            // Out of descriptors and the like: say so (rarely) and breathe instead of spinning.
            if (throttle.allow()) g.log().warn("gate: accept failed: {}", ec.message());
            co_await try_sleep(std::chrono::milliseconds(20));
            continue;
        }
        // Every client port (TCP, ws, TLS, wss) goes through here: the per-address limits and
        // max_connections are checked before anything is read (no TLS or WebSocket handshake
        // for a refused client).
        // The lease holds the address's slot until whatever owns the connection ends.
        const auto a = peer.address();
        const address_key key =
            a.is_v4() ? address_key::v4(a.to_v4().to_bytes()) : address_key::v6(a.to_v6().to_bytes());
        address_lease lease;
        if (!g.admit(key, lease)) {
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        const transport_kind kind = self->kind_;
        w.post_function([&g, kind, s = std::move(socket), lease = std::move(lease)](worker& on) mutable {
            if (kind == transport_kind::tcp) {
                using plain = tcp_connection<asio::ip::tcp::socket>;
                auto c = std::make_shared<plain>(g, on, g.next_session_id(on.index()), std::move(s));
                c->hold_address(std::move(lease));
                c->start();
            } else if (kind == transport_kind::ws) {
                asio::co_spawn(on.executor(),
                               serve_ws_port<asio::ip::tcp::socket>(g, on, std::move(s), std::move(lease)),
                               [&g](std::exception_ptr e) {
                                   if (e) log_spawn_failure(g.node(), "gate websocket port", e);
                               });
            } else {
                asio::co_spawn(on.executor(), serve_tls_port(g, on, std::move(s), std::move(lease), kind),
                               [&g](std::exception_ptr e) {
                                   if (e) log_spawn_failure(g.node(), "gate TLS port", e);
                               });
            }
        });
    }
}

}  // namespace hearth::session::detail

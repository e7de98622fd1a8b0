#pragma once
// The narrow door through which the WebSocket and TLS ports' free functions (ws_port.cpp,
// tls_port.cpp) reach the gate's private session bookkeeping; the connection and listener
// classes are friends of the gate themselves. Private to the session module.

#include <cstdint>
#include <memory>

#include "framework/asio.hpp"
#include "session/gate.hpp"

namespace hearth::session::detail {

struct gate_access {
    static bool draining(const gate& g) noexcept { return g.draining(); }
    static void release_admission(gate& g) { g.release_admission(); }
    static std::uint64_t next_session_id(gate& g, unsigned worker_index) {
        return g.next_session_id(worker_index);
    }
    static void on_session_opened(gate& g, const std::shared_ptr<connection>& c) { g.on_session_opened(c); }
    static void track_http_deadline(gate& g, unsigned worker_index, asio::steady_timer* deadline) {
        g.track_http_deadline(worker_index, deadline);
    }
    static void untrack_http_deadline(gate& g, unsigned worker_index, asio::steady_timer* deadline) {
        g.untrack_http_deadline(worker_index, deadline);
    }
    static std::shared_ptr<const tls_context> tls(const gate& g) { return g.tls(); }
    static void tls_established(gate& g) { g.stats().tls_handshakes.add(); }
    static void tls_failed(gate& g, unsigned worker_index, const boost::system::error_code& ec) {
        g.on_tls_failed(worker_index, ec);
    }
};

}  // namespace hearth::session::detail

#pragma once
// A client session over WebSocket (the gate's WebSocket port, after the upgrade). Private to the
// session module; only the WebSocket port (ws_port.cpp) includes it.
//
// `NextLayer` is the stream under the WebSocket: asio::ip::tcp::socket (ws port) or tls_stream
// (tls_stream.hpp, wss port), both instantiated in ws_connection.cpp. The socket hooks reach the
// TCP socket through beast::get_lowest_layer; Beast's close handshake ends TLS with close_notify.

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "session/detail/connection.hpp"

namespace hearth::session::detail {

template <class NextLayer>
class ws_connection final : public connection {
  public:
    /// `ws` has completed its handshake (accept) on worker `w`'s io_context.
    ws_connection(gate& g, worker& w, std::uint64_t id, boost::beast::websocket::stream<NextLayer> ws);

  private:
    awaitable<void> reader() override;
    awaitable<void> writer() override;
    void shutdown_send() override;
    void shutdown_and_close() override;

    boost::beast::websocket::stream<NextLayer> ws_;
};

extern template class ws_connection<asio::ip::tcp::socket>;

}  // namespace hearth::session::detail

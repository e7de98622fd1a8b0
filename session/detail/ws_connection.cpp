#include "session/detail/ws_connection.hpp"

#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "session/detail/tls_stream.hpp"

namespace hearth::session::detail {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

template <class NextLayer>
ws_connection<NextLayer>::ws_connection(gate& g, worker& w, std::uint64_t id, websocket::stream<NextLayer> ws)
    : connection(g, w, id, is_tls_stream<NextLayer> ? transport_kind::wss : transport_kind::ws),
      ws_(std::move(ws)) {
    boost::system::error_code ec;
    auto ep = beast::get_lowest_layer(ws_).remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    // Pings, pongs and close frames are liveness too (the reader only sees data frames).
    // Runs inside the reader's read, on this connection's worker; ws_ is ours, so `this`
    // outlives every call.
    ws_.control_callback([this](websocket::frame_type, beast::string_view) { note_inbound(); });
}

template <class NextLayer>
awaitable<void> ws_connection<NextLayer>::reader() {
    co_await read_packets(ws_, 4096);
    // A close frame with 1000 is the client leaving on purpose (a logout); anything else, or
    // none, is a lost connection, which a session with resume on survives.
    if (ws_.reason().code == websocket::close_code::normal) on_logout();
    close("client closed", true);
}

// One packet per binary message (client-protocol.md section 1).
template <class NextLayer>
awaitable<void> ws_connection<NextLayer>::writer() {
    constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
    std::vector<out_item> items;
    std::string own;
    bool failed = false;
    while (!stopped_ && !failed) {
        if (queue_empty()) {
            if (kicking_) {
                flushed_ = true;
                // Every close we decide ends with a close frame (code and reason), never a
                // bare drop (1006). Beast then reads and discards until the client's close
                // frame and tears the TCP connection down; the kick deadline bounds it.
                const websocket::close_reason why(static_cast<websocket::close_code>(ws_close_code_),
                                                  ws_close_reason_);
                co_await ws_.async_close(why, tuple_awaitable);
                break;
            }
            co_await wait_for_output();
            continue;
        }
        take_queue(items, own);
        for (const auto& it : items) {
            asio::const_buffer b = it.shared ? asio::const_buffer(it.shared->data(), it.shared->size())
                                             : asio::const_buffer(own.data() + it.begin, it.end - it.begin);
            auto [ec, n] = co_await ws_.async_write(b, tuple_awaitable);
            if (ec) {
                failed = true;
                break;
            }
            written(n, it.packets);
            if (stopped_) break;
        }
        items.clear();
        own.clear();
        if (own.capacity() > 64 * 1024) own.shrink_to_fit();
    }
    close(failed ? "write failed" : "closed", true);
}

template <class NextLayer>
void ws_connection<NextLayer>::shutdown_send() {
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).shutdown(tcp::socket::shutdown_send, ec);
}

template <class NextLayer>
void ws_connection<NextLayer>::shutdown_and_close() {
    boost::system::error_code ec;
    auto& s = beast::get_lowest_layer(ws_);
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
}

template class ws_connection<tcp::socket>;
template class ws_connection<tls_stream>;

}  // namespace hearth::session::detail

#include "session/detail/tcp_connection.hpp"

#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include "session/detail/tls_stream.hpp"

namespace hearth::session::detail {

template <class Stream>
tcp_connection<Stream>::tcp_connection(gate& g, worker& w, std::uint64_t id, Stream stream)
    : connection(g, w, id, is_tls_stream<Stream> ? transport_kind::tls : transport_kind::tcp),
      stream_(std::move(stream)) {
    auto& socket = boost::beast::get_lowest_layer(stream_);
    boost::system::error_code ec;
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    auto ep = socket.remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

template <class Stream>
awaitable<void> tcp_connection<Stream>::reader() {
    co_await read_packets(stream_, 8192);
    // The client's EOF (or an error). While a kick is still being flushed, the writer finishes
    // it (a client may shut its sending side and still read); run() closes after both.
    if (!kicking_ || flushed_) close("client closed", true);
}

template <class Stream>
awaitable<void> tcp_connection<Stream>::writer() {
    constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
    std::vector<out_item> items;
    std::string own;
    std::string flat;  // TLS: the batch in one piece
    std::vector<asio::const_buffer> bufs;
    while (!stopped_) {
        if (queue_empty()) {
            if (kicking_) {
                // TLS: close_notify first, so the client can tell the end from a cut.
                if constexpr (is_tls_stream<Stream>) co_await send_close_notify(stream_);
                // Half-closed: the reader (on the client's EOF) or the kick deadline closes.
                on_flushed_after_kick();
                co_return;
            }
            co_await wait_for_output();
            continue;
        }
        // Everything queued goes out in one gathered write.
        take_queue(items, own);
        bufs.clear();
        std::size_t packets = 0;
        for (const auto& it : items) {
            packets += it.packets;
            if (it.shared)
                bufs.emplace_back(it.shared->data(), it.shared->size());
            else
                bufs.emplace_back(own.data() + it.begin, it.end - it.begin);
        }
        if constexpr (is_tls_stream<Stream>) {
            // asio::ssl encrypts one buffer per record and writes each record on its own: a
            // gathered write of 100 packets would be 100 records and 100 send calls. One
            // contiguous buffer makes it full records (16 KiB) and one send each.
            if (bufs.size() > 1) {
                flat.clear();
                for (const auto& b : bufs) flat.append(static_cast<const char*>(b.data()), b.size());
                bufs.assign(1, asio::const_buffer(flat.data(), flat.size()));
            }
        }
        auto [ec, n] = co_await asio::async_write(stream_, bufs, tuple_awaitable);
        if constexpr (is_tls_stream<Stream>)
            if (flat.capacity() > 64 * 1024) std::string().swap(flat);
        items.clear();
        own.clear();
        if (own.capacity() > 64 * 1024) own.shrink_to_fit();
        if (ec) {
            close("write failed", true);
            co_return;
        }
        written(n, packets);
    }
}

template <class Stream>
void tcp_connection<Stream>::shutdown_send() {
    boost::system::error_code ec;
    boost::beast::get_lowest_layer(stream_).shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

template <class Stream>
void tcp_connection<Stream>::shutdown_and_close() {
    auto& socket = boost::beast::get_lowest_layer(stream_);
    boost::system::error_code ec;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

template class tcp_connection<asio::ip::tcp::socket>;
template class tcp_connection<tls_stream>;

}  // namespace hearth::session::detail

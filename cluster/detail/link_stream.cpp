// GCC 12 reports a false -Wmismatched-new-delete inside Asio's recycling allocator when the
// SSL stream's operations are instantiated here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "cluster/detail/link_stream.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "framework/tls.hpp"

namespace hearth::cluster::detail {

struct link_stream::tls_part {
    tls_part(tcp::socket s, std::shared_ptr<const tls_context> c)
        : context(std::move(c)), stream(std::move(s), context->native()) {}
    std::shared_ptr<const tls_context> context;  // outlives the stream's SSL (OpenSSL counts too)
    asio::ssl::stream<tcp::socket> stream;
};

link_stream::link_stream(const asio::any_io_executor& ex) : plain_(ex) {}
link_stream::link_stream(tcp::socket socket) : plain_(std::move(socket)) {}
link_stream::~link_stream() = default;

asio::ip::tcp::socket& link_stream::socket() noexcept {
    return tls_ ? tls_->stream.next_layer() : plain_;
}
const asio::ip::tcp::socket& link_stream::socket() const noexcept {
    return tls_ ? tls_->stream.next_layer() : plain_;
}

awaitable<boost::system::error_code> link_stream::start_tls(std::shared_ptr<const tls_context> context,
                                                            bool server) {
    tls_ = std::make_unique<tls_part>(std::move(plain_), std::move(context));
    auto [ec] = co_await tls_->stream.async_handshake(
        server ? asio::ssl::stream_base::server : asio::ssl::stream_base::client, tuple_awaitable);
    tls_ready_ = !ec;
    co_return ec;
}

bool link_stream::peer_certificate_names(std::string_view node) const {
    if (!tls_) return false;
    return tls_peer_certificate_names(
        const_cast<asio::ssl::stream<tcp::socket>&>(tls_->stream).native_handle(), node);
}

awaitable<link_stream::result> link_stream::tls_read_some(asio::mutable_buffer b) {
    co_return co_await tls_->stream.async_read_some(b, tuple_awaitable);
}

awaitable<link_stream::result> link_stream::tls_write(asio::const_buffer b) {
    // asio::ssl writes one record per call of at most 16 KiB: async_write loops over them.
    co_return co_await asio::async_write(tls_->stream, b, tuple_awaitable);
}

}  // namespace hearth::cluster::detail

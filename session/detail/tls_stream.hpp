#pragma once
// The stream under the gate's TLS and wss ports, and the one thing TLS changes in how a
// connection ends. Private to the session module; only .cpp files include it (it pulls in
// OpenSSL through asio::ssl).

#include <tuple>
#include <type_traits>

#include <openssl/ssl.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "framework/asio.hpp"

namespace hearth::session::detail {

using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;

template <class Stream>
inline constexpr bool is_tls_stream = std::is_same_v<Stream, tls_stream>;

/// Sends TLS close_notify (RFC 8446 6.1) without waiting for the client's: OpenSSL is told the
/// client's close_notify was received, so SSL_shutdown completes after writing ours and the
/// operation is a write only. It may then run while the connection's reader still waits on the
/// stream (Asio allows one read and one write at a time); that read ends as end-of-stream at
/// the client's next record. Call on the connection's worker; completes with the write's error
/// (a one-element tuple, as `before()` in deadline.hpp takes it).
inline awaitable<std::tuple<boost::system::error_code>> send_close_notify(tls_stream& s) {
    SSL* ssl = s.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    co_return co_await s.async_shutdown(tuple_awaitable);
}

}  // namespace hearth::session::detail

#pragma once
// The byte stream under one cluster link: a TCP socket, or TLS over it (docs/protocol.md,
// section 1.1). Plain links read and write the socket directly (inline, as before TLS
// existed); TLS links make one out-of-line call per read or write batch, never per frame. The
// TLS half is behind a pointer so that this header (included by sender.hpp and agent.hpp)
// does not pull OpenSSL in.
//
// Threads: the link's worker only, like the socket it wraps.

#include <cstddef>
#include <memory>
#include <tuple>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "framework/asio.hpp"

namespace hearth {
class tls_context;
}

namespace hearth::cluster::detail {

class link_stream {
  public:
    using tcp = asio::ip::tcp;
    using result = std::tuple<boost::system::error_code, std::size_t>;

    /// An unconnected plain socket on `ex` (a sender's attempt).
    explicit link_stream(const asio::any_io_executor& ex);
    /// An accepted socket (an agent).
    explicit link_stream(tcp::socket socket);
    ~link_stream();
    link_stream(const link_stream&) = delete;
    link_stream& operator=(const link_stream&) = delete;

    /// The TCP socket: connect, options, endpoints, shutdown and close (under TLS too; a link
    /// ends without close_notify, as the leave frame already says goodbye).
    tcp::socket& socket() noexcept;
    const tcp::socket& socket() const noexcept;
    bool is_tls() const noexcept { return tls_ != nullptr; }
    /// False while a TLS handshake has not succeeded (nothing can be sent to the peer then,
    /// not even a reject frame).
    bool writable() const noexcept { return !tls_ || tls_ready_; }

    /// Turns the connected socket into TLS and runs the handshake (`server`: the agent's side),
    /// with `context` (its certificate, the cluster CA, mutual verification). The caller bounds
    /// it with its handshake deadline. Returns the handshake's error; on error the stream stays
    /// TLS and the caller closes it. Call once.
    awaitable<boost::system::error_code> start_tls(std::shared_ptr<const tls_context> context, bool server);
    /// After start_tls: whether the peer's verified certificate names `node` (framework/tls.hpp,
    /// tls_peer_certificate_names). False on a plain stream.
    bool peer_certificate_names(std::string_view node) const;

    // Not coroutines themselves: each returns the operation to await (no extra frame).
    awaitable<result> read_some(asio::mutable_buffer b) {
        return tls_ ? tls_read_some(b) : plain_.async_read_some(b, tuple_awaitable);
    }
    /// Writes all of `b`.
    awaitable<result> write(asio::const_buffer b) {
        return tls_ ? tls_write(b) : asio::async_write(plain_, b, tuple_awaitable);
    }

  private:
    struct tls_part;
    awaitable<result> tls_read_some(asio::mutable_buffer b);
    awaitable<result> tls_write(asio::const_buffer b);

    tcp::socket plain_;              // moved into tls_ by start_tls
    std::unique_ptr<tls_part> tls_;  // null: plain
    bool tls_ready_ = false;         // the TLS handshake succeeded
};

}  // namespace hearth::cluster::detail

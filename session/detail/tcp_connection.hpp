#pragma once
// A client session over a byte stream (the gate's TCP port). Private to the session module.
//
// `Stream` is the stream the session reads and writes: asio::ip::tcp::socket (the TCP port) or
// tls_stream (tls_stream.hpp, the TLS port), both instantiated in tcp_connection.cpp. The loops
// only need AsyncReadStream / AsyncWriteStream, and the two socket hooks reach the TCP socket
// through the lowest layer. What TLS changes: a batch is written as one buffer (full records),
// and the end of a kick sends close_notify before the TCP half-close.

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "session/detail/connection.hpp"

namespace hearth::session::detail {

template <class Stream>
class tcp_connection final : public connection {
  public:
    /// `stream` is connected, and open on worker `w`'s io_context.
    tcp_connection(gate& g, worker& w, std::uint64_t id, Stream stream);

  private:
    awaitable<void> reader() override;
    awaitable<void> writer() override;
    void shutdown_send() override;
    void shutdown_and_close() override;

    Stream stream_;
};

extern template class tcp_connection<asio::ip::tcp::socket>;

}  // namespace hearth::session::detail

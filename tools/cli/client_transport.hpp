#pragma once
// The byte pipe under a hearth-cli game-client connection: a TCP socket, or a WebSocket whose
// binary messages carry the packets (client-protocol.md section 1). Asio/Beast live behind
// this interface so the protocol code does not depend on which one is in use.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "tools/cli/endpoint_url.hpp"

namespace hearth::tools {

/// One connection, used from one coroutine per direction on one executor (not thread-safe).
class client_transport {
  public:
    virtual ~client_transport() = default;

    /// Resolves and connects (and for ws:// does the WebSocket upgrade on url.path) within
    /// `timeout`. Returns the error (timed_out when the deadline passed).
    virtual boost::asio::awaitable<std::error_code> connect(const endpoint_url& url,
                                                            std::chrono::milliseconds timeout) = 0;
    /// Reads the next bytes: at least one, at most a WebSocket message. `chunk` points into a
    /// buffer of the transport valid until the next read. EOF and a close frame are errors
    /// (asio::error::eof, websocket::error::closed); close_reason() then says why.
    virtual boost::asio::awaitable<std::error_code> read(std::string_view& chunk) = 0;
    /// Writes one packet (one binary message over WebSocket). One write at a time.
    virtual boost::asio::awaitable<std::error_code> write(std::string_view bytes) = 0;
    /// Ends the connection gracefully within `timeout` (TCP: shutdown; WebSocket: a close frame
    /// 1000 and the server's answer), then closes the socket. Never fails.
    virtual boost::asio::awaitable<void> close(std::chrono::milliseconds timeout) = 0;
    /// Closes the socket at once; pending reads and writes complete with operation_aborted.
    virtual void abort() noexcept = 0;
    /// The reason of the server's WebSocket close frame ("1000 server shutting down"), or empty.
    virtual std::string close_reason() const = 0;
};

/// A transport for url.scheme "tcp" or "ws", on `executor`.
std::unique_ptr<client_transport> make_client_transport(const endpoint_url& url,
                                                        boost::asio::any_io_executor executor);

}  // namespace hearth::tools

#pragma once
// Socket helpers shared by sender and agent: read one whole frame, write a buffer, close.
// Everything here runs on the socket's own executor.

#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "cluster/frame.hpp"
#include "cluster/outcome.hpp"
#include "framework/asio.hpp"

namespace hearth::cluster::detail {

using tcp = asio::ip::tcp;

/// Reads until `decoder` yields one whole frame (views valid until the decoder's next
/// prepare()). A socket error becomes a failure with the error code and a sentence.
awaitable<outcome<frame>> read_frame(tcp::socket& socket, frame_decoder& decoder);

/// Writes all of `bytes`; returns the error (success when empty).
awaitable<boost::system::error_code> write_all(tcp::socket& socket, std::string_view bytes);

/// shutdown(both) then close, ignoring errors (the socket may already be dead).
void shutdown_and_close(tcp::socket& socket) noexcept;

/// Best effort: encodes a reject frame and writes it, bounded by the caller's deadline.
awaitable<void> send_reject(tcp::socket& socket, errc code, std::string_view text);

/// "host:port" of the remote end, or "?" when the socket is closed.
std::string remote_text(const tcp::socket& socket);

}  // namespace hearth::cluster::detail

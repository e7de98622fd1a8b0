#pragma once
// Socket helpers shared by sender and agent: read one whole frame, write a buffer, close; the
// handshake deadline; spawning a link's coroutine. Socket functions run on the socket's own
// executor.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "cluster/detail/link_stream.hpp"
#include "cluster/frame.hpp"
#include "cluster/options.hpp"
#include "cluster/outcome.hpp"
#include "framework/asio.hpp"
#include "framework/log.hpp"

namespace hearth::cluster::detail {

using tcp = asio::ip::tcp;

/// Reads until `decoder` yields one whole frame (views valid until the decoder's next
/// prepare()). A socket error becomes a failure with the error code and a sentence.
awaitable<outcome<frame>> read_frame(link_stream& stream, frame_decoder& decoder);

/// Writes all of `bytes`; returns the error (success when empty).
awaitable<boost::system::error_code> write_all(link_stream& stream, std::string_view bytes);

/// shutdown(both) then close, ignoring errors (the socket may already be dead).
void shutdown_and_close(tcp::socket& socket) noexcept;

/// Best effort: encodes a reject frame and writes it, bounded by the caller's deadline.
awaitable<void> send_reject(link_stream& stream, errc code, std::string_view text);

/// "host:port" of the remote end, or "?" when the socket is closed.
std::string remote_text(const tcp::socket& socket);

/// How long a handshake may take, on either end: options.handshake_timeout when set, else
/// three of this node's heartbeat intervals, at least one second.
std::chrono::milliseconds handshake_limit(const cluster_options& options,
                                          std::chrono::milliseconds heartbeat);

/// co_spawn with the completion every link coroutine has: an exception that escapes `work` is
/// logged as "<what> failed: <reason>" (never rethrown), then `done` runs (when set), on `ex`.
/// `done` is where the caller keeps its object alive and says it is gone.
void spawn_logged(const asio::any_io_executor& ex, awaitable<void> work, std::shared_ptr<spdlog::logger> log,
                  std::string what, std::function<void()> done);

}  // namespace hearth::cluster::detail

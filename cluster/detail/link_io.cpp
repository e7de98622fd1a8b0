#include "cluster/detail/link_io.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>

#include "framework/log.hpp"

namespace hearth::cluster::detail {

awaitable<outcome<frame>> read_frame(link_stream& stream, frame_decoder& decoder) {
    for (;;) {
        auto f = decoder.next();
        if (!f) co_return std::move(f).error();
        if (*f) co_return std::move(**f);
        auto buf = decoder.prepare(16 * 1024);
        auto [ec, n] = co_await stream.read_some(asio::buffer(buf.data(), buf.size()));
        decoder.commit(n);
        if (ec) {
            if (ec == asio::error::eof) co_return failure{ec, "The peer closed the connection."};
            co_return failure{ec, "Reading from the peer failed: " + ec.message() + "."};
        }
    }
}

awaitable<boost::system::error_code> write_all(link_stream& stream, std::string_view bytes) {
    auto [ec, n] = co_await stream.write(asio::buffer(bytes.data(), bytes.size()));
    (void)n;
    co_return ec;
}

void shutdown_and_close(tcp::socket& socket) noexcept {
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

awaitable<void> send_reject(link_stream& stream, errc code, std::string_view text) {
    if (!stream.writable()) co_return;  // a TLS handshake that did not complete
    std::string out;
    reject_frame r;
    r.code = code;
    r.text = text;
    frame f = r;
    if (encode(f, out)) co_await write_all(stream, out);
}

std::string remote_text(const tcp::socket& socket) {
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (ec) return "?";
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

std::chrono::milliseconds handshake_limit(const cluster_options& options,
                                          std::chrono::milliseconds heartbeat) {
    if (options.handshake_timeout.count() > 0) return options.handshake_timeout;
    return std::max(3 * heartbeat, std::chrono::milliseconds(1000));
}

void spawn_logged(const asio::any_io_executor& ex, awaitable<void> work, std::shared_ptr<spdlog::logger> log,
                  std::string what, std::function<void()> done) {
    asio::co_spawn(
        ex, std::move(work),
        [log = std::move(log), what = std::move(what), done = std::move(done)](std::exception_ptr e) {
            if (e) log->error("{} failed: {}", what, describe(e));
            if (done) done();
        });
}

}  // namespace hearth::cluster::detail

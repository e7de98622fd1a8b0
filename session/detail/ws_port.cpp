// The WebSocket port: plain HTTP (static files) and the upgrade to a WebSocket session.

// GCC 12 reports a false -Wmismatched-new-delete inside Asio's recycling allocator when the
// SSL stream's operations are instantiated here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fstream>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "framework/node.hpp"
#include "framework/worker.hpp"
#include "session/detail/deadline.hpp"
#include "session/detail/gate_access.hpp"
#include "session/detail/tls_stream.hpp"
#include "session/detail/ws_connection.hpp"
#include "session/detail/ws_port.hpp"
#include "session/gate.hpp"

namespace hearth::session::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::string_view content_type_of(std::string_view path) {
    auto ends = [&](std::string_view ext) {
        return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
    };
    if (ends(".html") || ends(".htm")) return "text/html; charset=utf-8";
    if (ends(".js")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".json")) return "application/json";
    if (ends(".png")) return "image/png";
    if (ends(".svg")) return "image/svg+xml";
    if (ends(".ico")) return "image/x-icon";
    return "application/octet-stream";
}

// Finds the file for a GET target; false when there is none (or the path tries to escape).
bool find_static(const gate_options& o, std::string_view path, std::string& type, std::string& body) {
    if (path.empty() || path == "/") path = "/index.html";
    if (auto it = o.static_files.find(path); it != o.static_files.end()) {
        type = it->second.content_type.empty() ? std::string(content_type_of(path)) : it->second.content_type;
        body = it->second.body;
        return true;
    }
    if (o.static_dir.empty() || path.front() != '/' || path.find("..") != std::string_view::npos ||
        path.find('\\') != std::string_view::npos)
        return false;
    std::ifstream in(o.static_dir + std::string(path), std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    body = std::move(ss).str();
    type = content_type_of(path);
    return true;
}

// The status that tells an HTTP client why its request could not be read, or none (0) when
// the connection just ended (EOF, the deadline, a reset): a request we refuse gets an answer.
http::status refusal_for(const boost::system::error_code& ec) {
    if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
    if (ec == http::error::body_limit) return http::status::payload_too_large;
    if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message &&
        ec != http::error::need_more && ec != http::error::need_buffer)
        return http::status::bad_request;
    return http::status{};
}

// A short text/plain answer that ends the connection.
template <class Stream>
awaitable<void> answer_and_close(asio::steady_timer& deadline, Stream& socket, http::status status,
                                 unsigned version, std::string text) {
    http::response<http::string_body> res{status, version};
    res.set(http::field::server, "hearth");
    res.set(http::field::content_type, "text/plain");
    res.body() = std::move(text);
    res.keep_alive(false);
    res.prepare_payload();
    co_await before(deadline, http::async_write(socket, res, tuple_awaitable));
}

}  // namespace

template <class Stream>
awaitable<void> serve_ws_port(gate& g, worker& w, Stream socket, address_lease lease) {
    const auto& o = g.options();
    boost::system::error_code ignored;
    beast::get_lowest_layer(socket).set_option(tcp::no_delay(true), ignored);
    // Until the WebSocket handshake completes, the handshake timeout bounds everything.
    asio::steady_timer deadline(w.context());
    deadline.expires_after(o.handshake_timeout);
    beast::flat_buffer buffer;
    // Shutdown cancels `deadline` while this connection waits; a request that arrives anyway
    // is refused (draining() checked after each read).
    std::optional<handshake_deadline_registration> registered(std::in_place, g, w.index(), deadline);
    while (!gate_access::draining(g)) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(8 * 1024);
        parser.body_limit(16 * 1024);
        auto [ec, n] = co_await before(deadline, http::async_read(socket, buffer, parser, tuple_awaitable));
        if (ec) {
            if (auto status = refusal_for(ec); status != http::status{}) {
                std::string why = std::string(http::obsolete_reason(status)) + ": " + ec.message() + ".\n";
                co_await answer_and_close(deadline, socket, status, 11, std::move(why));
            }
            break;
        }
        auto req = parser.release();
        if (gate_access::draining(g)) {
            co_await answer_and_close(deadline, socket, http::status::service_unavailable, req.version(),
                                      "The server is shutting down.\n");
            break;
        }
        std::string_view target(req.target().data(), req.target().size());
        target = target.substr(0, target.find('?'));

        if (websocket::is_upgrade(req)) {
            // Standard clients (pomelo-jsclient-websocket, Nano's) connect to "/" and Pomelo and
            // Nano upgrade on any path; ws_path_only restricts upgrades to ws_path.
            if (o.ws_path_only && target != o.ws_path) {
                co_await answer_and_close(deadline, socket, http::status::not_found, req.version(),
                                          "No WebSocket endpoint here.\n");
                break;
            }
            websocket::stream<Stream> ws(std::move(socket));
            ws.binary(true);
            ws.auto_fragment(false);
            ws.read_message_max(std::max<std::size_t>(4 * (o.max_packet_body + 4), 1 << 20));
            deadline.expires_after(o.handshake_timeout);
            auto [aec] = co_await before(deadline, ws.async_accept(req, tuple_awaitable));
            registered.reset();  // a session now (kicked by a drain), or gone
            if (aec) {
                beast::get_lowest_layer(ws).close(ignored);
                gate_access::release_admission(g);
                lease.reset();
                co_return;
            }
            auto c = std::make_shared<ws_connection<Stream>>(g, w, gate_access::next_session_id(g, w.index()),
                                                             std::move(ws));
            c->hold_address(std::move(lease));
            c->start();
            co_return;
        }

        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::server, "hearth");
        std::string type, body;
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            res.result(http::status::method_not_allowed);
            res.set(http::field::content_type, "text/plain");
            res.body() = "Only GET is served here.\n";
        } else if (find_static(o, target, type, body)) {
            res.set(http::field::content_type, type);
            res.set(http::field::cache_control, "no-cache");
            if (req.method() == http::verb::get) res.body() = std::move(body);
        } else {
            res.result(http::status::not_found);
            res.set(http::field::content_type, "text/plain");
            res.body() = "Not found.\n";
        }
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        auto [wec, wn] = co_await before(deadline, http::async_write(socket, res, tuple_awaitable));
        if (wec || !req.keep_alive()) break;
    }
    // https: close_notify first, so the browser knows the response was not cut short.
    // A write of a few bytes: it waits only for a client whose socket buffer is full, and the
    // deadline bounds that.
    if constexpr (is_tls_stream<Stream>) co_await before(deadline, send_close_notify(socket));
    gate_access::release_admission(g);  // before the close, so a client that saw EOF may connect again
    lease.reset();
    auto& lowest = beast::get_lowest_layer(socket);
    lowest.shutdown(tcp::socket::shutdown_send, ignored);
    lowest.close(ignored);
}

template awaitable<void> serve_ws_port(gate&, worker&, tcp::socket, address_lease);
template awaitable<void> serve_ws_port(gate&, worker&, tls_stream, address_lease);

}  // namespace hearth::session::detail

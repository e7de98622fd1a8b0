// The WebSocket port: plain HTTP (static files) and the upgrade to a WebSocket session.

#include <fstream>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "framework/node.hpp"
#include "framework/worker.hpp"
#include "session/detail/ws_connection.hpp"
#include "session/detail/ws_port.hpp"
#include "session/detail/gate_access.hpp"
#include "session/gate.hpp"

namespace hearth::session::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

using namespace asio::experimental::awaitable_operators;


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

// Awaits `op` (an awaitable yielding a tuple whose first element is an error_code), but no later
// than `deadline`: then the operation is cancelled and the error is timed_out. Both complete
// before this returns, so nothing outlives the caller's frame (a timer handler that closed the
// socket instead could run after the frame holding the socket was gone).
template <class Tuple>
awaitable<Tuple> before(asio::steady_timer& deadline, awaitable<Tuple> op) {
    // The timer completes either at the deadline or when cancelled (a shutdown drain ends the
    // connection that way): both mean "stop waiting".
    auto r = co_await (std::move(op) || deadline.async_wait(tuple_awaitable));
    if (r.index() == 0) co_return std::get<0>(std::move(r));
    Tuple timed_out{};
    std::get<0>(timed_out) = asio::error::timed_out;
    co_return timed_out;
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
awaitable<void> answer_and_close(asio::steady_timer& deadline, tcp::socket& socket, http::status status,
                                 unsigned version, std::string text) {
    http::response<http::string_body> res{status, version};
    res.set(http::field::server, "hearth");
    res.set(http::field::content_type, "text/plain");
    res.body() = std::move(text);
    res.keep_alive(false);
    res.prepare_payload();
    co_await before(deadline, http::async_write(socket, res, tuple_awaitable));
}

// Keeps a not-yet-upgraded connection's deadline known to the gate for as long as the
// coroutine frame (and so the timer) lives.
struct http_deadline_registration {
    gate& g;
    unsigned worker_index;
    asio::steady_timer* deadline;
    http_deadline_registration(gate& owner, unsigned index, asio::steady_timer& t)
        : g(owner), worker_index(index), deadline(&t) {
        gate_access::track_http_deadline(g, worker_index, deadline);
    }
    ~http_deadline_registration() { gate_access::untrack_http_deadline(g, worker_index, deadline); }
    http_deadline_registration(const http_deadline_registration&) = delete;
    http_deadline_registration& operator=(const http_deadline_registration&) = delete;
};

}  // namespace

awaitable<void> serve_ws_port(gate& g, worker& w, tcp::socket socket, address_lease lease) {
    const auto& o = g.options();
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    // Until the WebSocket handshake completes, the handshake timeout bounds everything.
    asio::steady_timer deadline(w.context());
    deadline.expires_after(o.handshake_timeout);
    beast::flat_buffer buffer;
    // Shutdown cancels `deadline` while this connection waits; a request that arrives anyway
    // is refused (draining() checked after each read).
    std::optional<http_deadline_registration> registered(std::in_place, g, w.index(), deadline);
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
            websocket::stream<tcp::socket> ws(std::move(socket));
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
            auto c = std::make_shared<ws_connection<tcp::socket>>(
                g, w, gate_access::next_session_id(g, w.index()), std::move(ws));
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
    gate_access::release_admission(g);  // before the close, so a client that saw EOF may connect again
    lease.reset();
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
}

}  // namespace hearth::session::detail

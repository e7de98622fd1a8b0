// GCC 12 reports a false -Wmismatched-new-delete inside Asio's recycling allocator when the
// SSL stream's operations are instantiated here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "framework/admin.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "framework/constant_time.hpp"
#include "framework/log.hpp"
#include "framework/metrics.hpp"
#include "framework/node.hpp"
#include "framework/service.hpp"

namespace hearth {
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        const auto j = path.find('/', i);
        const auto end = j == std::string_view::npos ? path.size() : j;
        if (end > i) out.emplace_back(path.substr(i, end - i));
        i = end;
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Percent-decoding; nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%') {
            if (i + 2 >= in.size()) return std::nullopt;
            const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (in[i] == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += in[i];
        }
    }
    return out;
}

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view v) {
    while (!v.empty() && is_ows(v.front())) v.remove_prefix(1);
    while (!v.empty() && is_ows(v.back())) v.remove_suffix(1);
    return v;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// The token of `Authorization: Bearer <token>`: credentials = auth-scheme 1*SP token68, the
/// scheme case-insensitive (RFC 9110 section 11.1, RFC 6750 section 2.1), surrounding
/// whitespace ignored. nullopt for another scheme or no token.
std::optional<std::string_view> bearer_token(std::string_view field) {
    field = trim_ows(field);
    constexpr std::string_view scheme = "bearer";
    if (field.size() <= scheme.size() || !iequals(field.substr(0, scheme.size()), scheme))
        return std::nullopt;
    std::string_view rest = field.substr(scheme.size());
    if (!is_ows(rest.front())) return std::nullopt;  // "Bearerx ..." is another scheme
    rest = trim_ows(rest);
    if (rest.empty()) return std::nullopt;
    return rest;
}

/// An IMF-fixdate (RFC 9110 section 5.6.7) for the Date field.
std::string http_date(std::chrono::system_clock::time_point t) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char out[40];
    std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return out;
}

/// Fills path, segments and query from a request-target. Origin form ("/a/b?x=1") and absolute
/// form ("http://host/a/b?x=1", RFC 9112 section 3.2.2) are accepted; each path segment is
/// percent-decoded on its own, so "%2F" stays inside its segment. False, with a sentence in
/// `error`, for anything else.
bool parse_target(std::string_view target, admin_request& out, std::string& error) {
    if (target.size() > 7 &&
        (iequals(target.substr(0, 7), "http://") || iequals(target.substr(0, 8), "https://"))) {
        const auto authority = target.find("//") + 2;
        const auto slash = target.find_first_of("/?", authority);
        target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
        if (!target.empty() && target.front() == '?') {
            error = "The request target has no path.";
            return false;
        }
    }
    if (target.empty() || target.front() != '/') {
        error = "The request target must be a path (\"/health\").";
        return false;
    }
    const auto q = target.find('?');
    const std::string_view raw_path = target.substr(0, q);
    auto path = url_decode(raw_path, false);
    if (!path) {
        error = "The request target has a malformed percent-escape.";
        return false;
    }
    out.path = std::move(*path);
    out.segments.clear();
    for (const auto& raw : split_path(raw_path)) {
        auto segment = url_decode(raw, false);
        if (!segment) {
            error = "The request target has a malformed percent-escape.";
            return false;
        }
        out.segments.push_back(std::move(*segment));
    }
    if (q == std::string_view::npos) return true;
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        auto k = url_decode(pair.substr(0, eq), true);
        auto v = url_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!k || !v) {
            error = "The request target has a malformed percent-escape.";
            return false;
        }
        if (!k->empty()) out.query[*k] = *v;
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    }
    return true;
}

std::string hex64(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace

std::optional<nlohmann::json> admin_request::json() const {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
    auto doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded()) throw admin_error(400, "The request body is not valid JSON.");
    return doc;
}

admin_response admin_response::error(unsigned status, std::string message) {
    admin_response r;
    r.status = status;
    r.body = {{"error", std::move(message)}};
    return r;
}

admin_response admin_response::plain(std::string text, std::string content_type) {
    admin_response r;
    r.text = std::move(text);
    r.content_type = std::move(content_type);
    return r;
}

struct admin_server::impl {
    explicit impl(asio::io_context& ctx) : acceptor(ctx) {}
    tcp::acceptor acceptor;
    std::shared_ptr<spdlog::logger> log;
    tls_endpoint tls;                                  // HTTPS: each connection takes the current context
    log_throttle tls_errors{std::chrono::seconds(5)};  // accept loop's strand only
};

admin_server::admin_server(node& n, admin_config config)
    : node_(n),
      config_(std::move(config)),
      impl_(std::make_unique<impl>(n.worker_at(std::min(config_.worker, n.worker_count() - 1)).context())) {
    impl_->log = n.make_logger("admin");
    add_builtin_routes();
}

admin_server::~admin_server() = default;

std::string admin_server::url() const {
    return (config_.tls.enabled() ? "https://" : "http://") + config_.address + ":" + std::to_string(port());
}

void admin_server::add_route(std::string method, std::string pattern, bool mutating, handler h) {
    auto r = std::make_shared<route>(route{std::move(method), split_path(pattern), mutating, std::move(h)});
    std::lock_guard lock(routes_mutex_);
    routes_.push_back(std::move(r));
}

awaitable<admin_response> admin_server::dispatch(admin_request req, std::string_view authorization) {
    std::vector<std::shared_ptr<const route>> routes;
    {
        std::lock_guard lock(routes_mutex_);
        routes = routes_;
    }
    if (req.segments.empty()) req.segments = split_path(req.path);
    const auto& segments = req.segments;
    // Methods are case-sensitive (RFC 9110 section 9.1). HEAD is GET without the body
    // (section 9.3.2); OPTIONS lists what the path allows (section 9.3.7).
    const bool options = req.method == "OPTIONS";
    const std::string wanted = req.method == "HEAD" ? std::string("GET") : req.method;
    std::vector<std::string> allowed;
    std::shared_ptr<const route> match;
    std::map<std::string, std::string> params;
    for (const auto& r : routes) {
        if (r->segments.size() != segments.size()) continue;
        std::map<std::string, std::string> p;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i) {
            const auto& s = r->segments[i];
            if (s.size() > 2 && s.front() == '{' && s.back() == '}')
                p[s.substr(1, s.size() - 2)] = segments[i];
            else
                ok = s == segments[i];
        }
        if (!ok) continue;
        if (!options && r->method == wanted) {
            match = r;
            params = std::move(p);
            break;
        }
        if (std::find(allowed.begin(), allowed.end(), r->method) == allowed.end())
            allowed.push_back(r->method);
    }
    if (!match) {
        if (!allowed.empty()) {
            if (auto get = std::find(allowed.begin(), allowed.end(), "GET"); get != allowed.end())
                allowed.insert(get + 1, "HEAD");
            allowed.push_back("OPTIONS");
            std::string list;
            for (const auto& m : allowed) list += (list.empty() ? "" : ", ") + m;
            if (options) {
                admin_response r;
                r.status = 204;
                r.headers["Allow"] = list;
                co_return r;
            }
            auto r = admin_response::error(
                405, "Method " + req.method + " is not allowed on " + req.path + "; use " + list + ".");
            r.body["allow"] = allowed;
            r.headers["Allow"] = list;
            co_return r;
        }
        co_return admin_response::error(404, "No admin route " + req.path + ".");
    }

    const bool needs_token = match->mutating || !config_.open_reads;
    if (needs_token) {
        if (config_.token.empty()) {
            if (match->mutating)
                co_return admin_response::error(
                    403, "Mutating admin routes are disabled: no admin token is configured.");
        } else {
            const auto token = bearer_token(authorization);
            if (!token) {
                auto r =
                    admin_response::error(401, "This route needs an 'Authorization: Bearer <token>' header.");
                r.headers["WWW-Authenticate"] = "Bearer realm=\"hearth-admin\"";
                co_return r;
            }
            if (!constant_time_equal(*token, config_.token))
                co_return admin_response::error(403, "The bearer token is wrong.");
        }
    }

    req.params = std::move(params);
    admin_response res;
    std::string failure;
    unsigned failure_status = 0;
    try {
        res = co_await match->h(req);
    } catch (const admin_error& e) {
        failure_status = e.status;
        failure = e.what();
    } catch (const std::exception& e) {
        failure_status = 500;
        failure = std::string("The handler failed: ") + e.what();
        impl_->log->error("admin {} {} failed: {}", req.method, req.path, e.what());
    }
    if (failure_status) co_return admin_response::error(failure_status, failure);
    co_return res;
}

namespace {

/// After a final response on a connection that closes: stop sending, then read and discard
/// until the client's EOF (or the deadline), so that unread input (a body we refused, a request
/// pipelined behind it) does not make the kernel reset the connection and discard the
/// response before the client has read it.
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

/// Ends a connection's sending side: TLS close_notify (RFC 8446 section 6.1, bounded by
/// `deadline`), then the TCP half-close.
awaitable<void> shutdown_send(beast::tcp_stream& stream, std::chrono::milliseconds, beast::error_code& ec) {
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    co_return;
}
awaitable<void> shutdown_send(tls_stream& stream, std::chrono::milliseconds deadline, beast::error_code& ec) {
    // Only our close_notify: do not wait for the client's (clients often just close).
    SSL_set_shutdown(stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
    beast::get_lowest_layer(stream).expires_after(deadline);
    auto [sec] = co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
    (void)sec;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
}

template <class Stream>
awaitable<void> linger_close(Stream& stream, std::chrono::milliseconds deadline) {
    beast::error_code ec;
    co_await shutdown_send(stream, deadline, ec);
    if (!ec) {
        beast::get_lowest_layer(stream).expires_after(deadline);
        char sink[16 * 1024];
        for (;;) {
            // The raw bytes, also under TLS: they are only discarded, after our close_notify.
            auto [rec, n] = co_await beast::get_lowest_layer(stream).async_read_some(
                asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (rec) break;
        }
    }
    beast::get_lowest_layer(stream).socket().close(ec);
}

/// What the connection sends for an error found before dispatch().
admin_response early_error(const beast::error_code& ec, const admin_config& config) {
    if (ec == http::error::body_limit)
        return admin_response::error(
            413, "The request body is larger than " + std::to_string(config.max_body) + " bytes.");
    if (ec == http::error::header_limit)
        return admin_response::error(431, "The request headers are too large.");
    return admin_response::error(400, "Malformed HTTP request: " + ec.message() + ".");
}

bool quiet_end(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::operation_aborted;
}

/// One HTTP/1.1 connection (RFC 9110/9112): requests in order, keep-alive unless either side
/// says close, `Expect: 100-continue`, limits and a timeout per request. Beast frames the
/// messages (Content-Length, chunked Transfer-Encoding, and refusing both at once).
template <class Stream>
awaitable<void> serve_connection(admin_server& server, Stream& stream, const admin_config& config) {
    beast::flat_buffer buffer;
    bool linger = false;  // we close after a response: read the client's leftovers first
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(config.max_body);
        parser.header_limit(static_cast<std::uint32_t>(config.max_header));
        beast::get_lowest_layer(stream).expires_after(config.request_timeout);
        auto [ec, n] =
            co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        (void)n;
        std::optional<admin_response> res;
        bool keep_alive = false;
        bool head = false;
        unsigned version = 11;
        if (ec) {
            if (quiet_end(ec)) break;
            res = early_error(ec, config);
        } else {
            const auto& h = parser.get();
            version = h.version();
            keep_alive = h.keep_alive();
            head = h.method_string() == "HEAD";
            const auto expect = trim_ows(h[http::field::expect]);
            if (version >= 11 && h.count(http::field::host) != 1) {
                // RFC 9112 section 3.2: exactly one Host in HTTP/1.1.
                res = admin_response::error(400, "An HTTP/1.1 request has exactly one Host header.");
            } else if (h.count(http::field::authorization) > 1) {
                res = admin_response::error(400, "A request has at most one Authorization header.");
            } else if (!expect.empty() && !iequals(expect, "100-continue")) {
                res = admin_response::error(417, "The only expectation this server meets is 100-continue.");
            } else {
                if (!expect.empty() && version >= 11 && !parser.is_done()) {
                    // The client waits for this before sending the body (curl does, for 1 KiB+).
                    http::response<http::empty_body> go_on{http::status::continue_, version};
                    auto [cec, cn] =
                        co_await http::async_write(stream, go_on, asio::as_tuple(asio::use_awaitable));
                    (void)cn;
                    if (cec) break;
                }
                if (!parser.is_done()) {
                    beast::get_lowest_layer(stream).expires_after(config.request_timeout);
                    auto [bec, bn] = co_await http::async_read(stream, buffer, parser,
                                                               asio::as_tuple(asio::use_awaitable));
                    (void)bn;
                    if (bec) {
                        if (quiet_end(bec)) break;
                        res = early_error(bec, config);
                    }
                }
            }
            if (!res) {
                auto& req = parser.get();
                admin_request ar;
                ar.method = std::string(req.method_string());
                std::string error;
                if (!parse_target(req.target(), ar, error)) {
                    res = admin_response::error(400, error);
                } else {
                    ar.body = std::move(req.body());
                    const std::string authorization(req[http::field::authorization]);
                    res = co_await server.dispatch(std::move(ar), authorization);
                }
            } else {
                keep_alive = false;  // the rest of this request is unread: the framing is lost
            }
        }
        if (ec) keep_alive = false;
        http::response<http::string_body> out{static_cast<http::status>(res->status), version};
        out.set(http::field::server, "hearth-admin");
        out.set(http::field::date, http_date(std::chrono::system_clock::now()));
        for (const auto& [name, value] : res->headers) out.set(name, value);
        out.keep_alive(keep_alive);
        if (res->status != 204 && res->status != 304) {
            out.set(http::field::content_type, res->content_type);
            // Error messages quote what the client sent (a percent-decoded path, a query value,
            // a JSON parser's excerpt), which need not be UTF-8: replace such bytes, never throw.
            out.body() = res->text.empty()
                             ? res->body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                             : std::move(res->text);
            out.prepare_payload();
            if (head) out.body().clear();  // HEAD: the GET's header fields (Content-Length too), no body
        }
        beast::get_lowest_layer(stream).expires_after(config.request_timeout);
        auto [wec, wn] = co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
        (void)wn;
        if (wec) break;
        if (!keep_alive) {
            linger = true;
            break;
        }
    }
    if (linger) {
        co_await linger_close(
            stream, std::min<std::chrono::milliseconds>(config.request_timeout, std::chrono::seconds(2)));
        co_return;
    }
    beast::error_code ignored;
    co_await shutdown_send(
        stream, std::min<std::chrono::milliseconds>(config.request_timeout, std::chrono::seconds(2)),
        ignored);
    beast::get_lowest_layer(stream).socket().close(ignored);
}

awaitable<void> serve_plain(admin_server& server, tcp::socket socket, admin_config config) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve_connection(server, stream, config);
}

/// HTTPS: the TLS handshake under request_timeout, then the same HTTP exchange. A failed
/// handshake (scanner, wrong CA, TLS 1.1) is logged at most once per 5 s.
awaitable<void> serve_tls(admin_server& server, tcp::socket socket, admin_config config,
                          std::shared_ptr<const tls_context> tls, log_throttle& throttle,
                          std::shared_ptr<spdlog::logger> log) {
    tls_stream stream(beast::tcp_stream(std::move(socket)), tls->native());
    beast::get_lowest_layer(stream).expires_after(config.request_timeout);
    auto [ec] =
        co_await stream.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (ec) {
        // The throttle belongs to the accept loop's worker, which this coroutine runs on.
        if (throttle.allow())
            log->warn("admin TLS handshake failed ({}): {}{}", tls_error_reason(ec), ec.message(),
                      throttle.suppressed()
                          ? " (" + std::to_string(throttle.suppressed()) + " more since the last line)"
                          : std::string());
        beast::error_code ignored;
        beast::get_lowest_layer(stream).socket().close(ignored);
        co_return;
    }
    co_await serve_connection(server, stream, config);
}

awaitable<void> accept_loop(admin_server& server, tcp::acceptor& acceptor, admin_config config,
                            std::shared_ptr<spdlog::logger> log, log_throttle& throttle) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {
            log->warn("admin accept failed: {}", ec.message());
            continue;
        }
        const auto on_end = [log](std::exception_ptr e) {
            if (e) log->warn("admin connection failed: {}", describe(e));
        };
        if (auto tls = server.tls())
            asio::co_spawn(acceptor.get_executor(),
                           serve_tls(server, std::move(socket), config, std::move(tls), throttle, log),
                           on_end);
        else
            asio::co_spawn(acceptor.get_executor(), serve_plain(server, std::move(socket), config), on_end);
    }
}

}  // namespace

void admin_server::start() {
    if (config_.tls.enabled()) {
        // Throws std::runtime_error naming the file (tls_context) before anything listens.
        impl_->tls.load(config_.tls, tls_context::role::server);
    }
    auto address = asio::ip::make_address(config_.address);
    tcp::endpoint ep(address, config_.port);
    auto& acc = impl_->acceptor;
    acc.open(ep.protocol());
    acc.set_option(tcp::acceptor::reuse_address(true));
    acc.bind(ep);
    acc.listen();
    port_.store(acc.local_endpoint().port());
    auto log = impl_->log;
    asio::co_spawn(acc.get_executor(), accept_loop(*this, acc, config_, log, impl_->tls_errors),
                   [log](std::exception_ptr e) {
                       if (e) log->error("admin accept loop failed: {}", describe(e));
                   });
    log->info("admin endpoint listening on {}", url());
}

std::shared_ptr<const tls_context> admin_server::tls() const {
    return impl_->tls.current();
}

rpc::outcome<std::string> admin_server::reload_tls() {
    if (!config_.tls.enabled())
        return rpc::failure{std::make_error_code(std::errc::operation_not_supported),
                            "The admin endpoint does not serve HTTPS."};
    auto fingerprint = impl_->tls.reload(config_.tls, tls_context::role::server);
    if (!fingerprint) {
        impl_->log->error("admin TLS reload failed, the previous certificate stays: {}",
                          fingerprint.error().message);
        return fingerprint;
    }
    const auto now = impl_->tls.current();
    impl_->log->info("admin TLS reloaded, now presenting {} (SHA-256 {}), valid until {}", now->subject(),
                     *fingerprint, now->not_after());
    return fingerprint;
}

void admin_server::stop() {
    asio::post(impl_->acceptor.get_executor(), [this] {
        boost::system::error_code ignored;
        impl_->acceptor.close(ignored);
    });
}

void admin_server::add_builtin_routes() {
    add_route("GET", "/health", false, [this](const admin_request&) -> awaitable<admin_response> {
        admin_response r;
        const bool stopping = node_.stopping();
        r.status = stopping ? 503 : 200;
        r.body = {{"status", stopping ? "stopping" : "ok"}, {"node", node_.name()}};
        co_return r;
    });
    add_route("GET", "/node", false, [this](const admin_request&) -> awaitable<admin_response> {
        admin_response r;
        const auto uptime = std::chrono::duration<double>(clock::now() - node_.started_at()).count();
        r.body = {{"name", node_.name()},
                  {"incarnation", hex64(node_.incarnation())},
                  {"pid", static_cast<long>(::getpid())},
                  {"uptime_seconds", node_.running() ? uptime : 0.0},
                  {"workers", node_.worker_count()},
                  {"services", node_.service_names()},
                  {"log_level", node_.log_level()},
                  {"stopping", node_.stopping()}};
        co_return r;
    });
    add_route("GET", "/services", false, [this](const admin_request&) -> awaitable<admin_response> {
        admin_response r;
        r.body = nlohmann::json::array();
        for (const auto& name : node_.service_names()) {
            service* s = node_.find_service(name);
            if (!s) continue;
            r.body.push_back({{"name", name},
                              {"worker", s->home().index()},
                              {"serial", s->serial()},
                              {"queued", s->queued()},
                              {"mailbox_capacity", s->mailbox_capacity()},
                              {"routes", s->routes()}});
        }
        co_return r;
    });
    add_route("GET", "/metrics", false, [this](const admin_request&) -> awaitable<admin_response> {
        co_return admin_response::plain(node_.metrics().render());
    });
    add_route("POST", "/shutdown", true, [this](const admin_request&) -> awaitable<admin_response> {
        impl_->log->warn("shutdown requested through the admin endpoint");
        node_.request_stop();
        admin_response r;
        r.status = 202;
        r.body = {{"shutting_down", true}};
        co_return r;
    });
    add_route("PUT", "/log-level", true, [this](const admin_request& req) -> awaitable<admin_response> {
        auto doc = req.json();
        if (!doc || !doc->is_object() || !doc->contains("level") || !(*doc)["level"].is_string())
            throw admin_error(400, "Send {\"level\": \"trace|debug|info|warn|error|critical|off\"}.");
        const auto level = (*doc)["level"].get<std::string>();
        if (!node_.set_log_level(level)) throw admin_error(400, "'" + level + "' is not a log level.");
        admin_response r;
        r.body = {{"level", level}};
        co_return r;
    });
}

std::string iso_time(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), buf, static_cast<int>(ms % 1000));
    return out;
}

}  // namespace hearth

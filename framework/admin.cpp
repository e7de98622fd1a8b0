#include "framework/admin.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

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

bool constant_time_equal(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
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
    return "http://" + config_.address + ":" + std::to_string(port());
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
    const auto segments = split_path(req.path);
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
        if (r->method == req.method) {
            match = r;
            params = std::move(p);
            break;
        }
        allowed.push_back(r->method);
    }
    if (!match) {
        if (!allowed.empty()) {
            std::string list;
            for (const auto& m : allowed) list += (list.empty() ? "" : ", ") + m;
            auto r = admin_response::error(
                405, "Method " + req.method + " is not allowed on " + req.path + "; use " + list + ".");
            r.body["allow"] = allowed;
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
            constexpr std::string_view bearer = "Bearer ";
            if (authorization.size() <= bearer.size() || authorization.substr(0, bearer.size()) != bearer)
                co_return admin_response::error(
                    401, "This route needs an 'Authorization: Bearer <token>' header.");
            if (!constant_time_equal(authorization.substr(bearer.size()), config_.token))
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

/// One HTTP connection: requests in order, keep-alive, limits and a timeout per request.
awaitable<void> serve_connection(admin_server& server, tcp::socket socket, admin_config config) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(config.max_body);
        parser.header_limit(static_cast<std::uint32_t>(config.max_header));
        stream.expires_after(config.request_timeout);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        (void)n;
        admin_response res;
        bool keep_alive = false;
        unsigned version = 11;
        if (ec) {
            if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
                ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
                break;
            if (ec == http::error::body_limit)
                res = admin_response::error(
                    413, "The request body is larger than " + std::to_string(config.max_body) + " bytes.");
            else if (ec == http::error::header_limit)
                res = admin_response::error(431, "The request headers are too large.");
            else
                res = admin_response::error(400, "Malformed HTTP request: " + ec.message() + ".");
        } else {
            auto& req = parser.get();
            keep_alive = req.keep_alive();
            version = req.version();
            admin_request ar;
            ar.method = std::string(req.method_string());
            const std::string_view target = req.target();
            const auto q = target.find('?');
            auto path = url_decode(target.substr(0, q), false);
            bool bad = !path;
            if (path) ar.path = *path;
            if (q != std::string_view::npos) {
                std::string_view query = target.substr(q + 1);
                while (!query.empty() && !bad) {
                    const auto amp = query.find('&');
                    const auto pair = query.substr(0, amp);
                    const auto eq = pair.find('=');
                    auto k = url_decode(pair.substr(0, eq), true);
                    auto v = url_decode(
                        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
                    if (!k || !v)
                        bad = true;
                    else if (!k->empty())
                        ar.query[*k] = *v;
                    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
                }
            }
            ar.body = std::move(req.body());
            if (bad) {
                res = admin_response::error(400, "The request target has a malformed percent-escape.");
            } else {
                const std::string authorization(req[http::field::authorization]);
                res = co_await server.dispatch(std::move(ar), authorization);
            }
        }
        http::response<http::string_body> out{static_cast<http::status>(res.status), version};
        out.set(http::field::server, "hearth-admin");
        out.set(http::field::content_type, res.content_type);
        // Error messages quote what the client sent (a percent-decoded path, a query value, a
        // JSON parser's excerpt), which need not be UTF-8: replace such bytes, never throw.
        out.body() = res.text.empty()
                         ? res.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                         : std::move(res.text);
        if (res.status == 405 && res.body.contains("allow")) {
            std::string allow;
            for (const auto& m : res.body["allow"])
                allow += (allow.empty() ? "" : ", ") + m.get<std::string>();
            out.set(http::field::allow, allow);
        }
        out.keep_alive(keep_alive && !ec);
        out.prepare_payload();
        stream.expires_after(config.request_timeout);
        auto [wec, wn] = co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
        (void)wn;
        if (wec || !out.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
}

awaitable<void> accept_loop(admin_server& server, tcp::acceptor& acceptor, admin_config config,
                            std::shared_ptr<spdlog::logger> log) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {
            log->warn("admin accept failed: {}", ec.message());
            continue;
        }
        asio::co_spawn(acceptor.get_executor(), serve_connection(server, std::move(socket), config),
                       [log](std::exception_ptr e) {
                           if (!e) return;
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& ex) {
                               log->warn("admin connection failed: {}", ex.what());
                           }
                       });
    }
}

}  // namespace

void admin_server::start() {
    auto address = asio::ip::make_address(config_.address);
    tcp::endpoint ep(address, config_.port);
    auto& acc = impl_->acceptor;
    acc.open(ep.protocol());
    acc.set_option(tcp::acceptor::reuse_address(true));
    acc.bind(ep);
    acc.listen();
    port_.store(acc.local_endpoint().port());
    auto log = impl_->log;
    asio::co_spawn(acc.get_executor(), accept_loop(*this, acc, config_, log), [log](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log->error("admin accept loop failed: {}", ex.what());
        }
    });
    log->info("admin endpoint listening on {}", url());
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

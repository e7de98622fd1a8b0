#pragma once
// The admin HTTP endpoint: routes that modules register, JSON in and out, bearer-token auth.
//
// Listens on 127.0.0.1 by default. Every mutating route needs `Authorization: Bearer <token>`
// (the scheme in any case, RFC 9110; 401 with `WWW-Authenticate: Bearer` without it, 403 with
// a wrong token; with no token configured, mutations are refused with 403). Read-only routes
// need the token too unless `open_reads` is set. HEAD works wherever GET does; OPTIONS and 405
// answers list the methods in `Allow`. Bad input gets a 4xx with a JSON body {"error": "..."};
// the server keeps serving everyone else. docs/admin.md has the whole HTTP contract.
//
// Built-in routes: GET /health, GET /node, GET /services, GET /metrics (Prometheus text),
// POST /shutdown, PUT /log-level {"level":"debug"}. Modules add theirs (the cluster adds
// /cluster and /cluster/reload, the session module /sessions) with add_route().

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/asio.hpp"
#include "framework/tls.hpp"

namespace hearth {

class node;

struct admin_config {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;   ///< 0: any free port (see admin_server::port())
    std::string token;        ///< bearer token; empty: mutating routes are refused
    bool open_reads = false;  ///< read-only routes without the token
    std::size_t max_body = 1 << 20;
    std::size_t max_header = 8 << 10;
    std::chrono::milliseconds request_timeout{10000};  ///< a slow client is closed after this
    unsigned worker = 0;                               ///< the worker the server runs on
    /// HTTPS: the certificate, key and policy (framework/tls.hpp; `ca_file` requires client
    /// certificates). Off (plain HTTP) when `tls.enabled()` is false. The TLS handshake counts
    /// against request_timeout.
    tls_options tls;
};

struct admin_request {
    std::string method;  ///< "GET", "POST", ... (case-sensitive, as sent)
    std::string path;    ///< without the query, percent-decoded (for messages)
    /// The path's segments, each percent-decoded on its own ("%2F" stays inside its segment).
    /// The server fills them; dispatch() splits `path` when they are empty.
    std::vector<std::string> segments;
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> params;  ///< from {name} segments of the route pattern
    std::string body;
    /// The body as JSON; nullopt when empty. Throws admin_error(400) when it is not JSON.
    std::optional<nlohmann::json> json() const;
};

struct admin_response {
    unsigned status = 200;
    nlohmann::json body = nlohmann::json::object();
    std::string content_type = "application/json";
    std::string text;  ///< sent instead of `body` when not empty (e.g. Prometheus text)
    /// Extra header fields (dispatch() sets `Allow` and `WWW-Authenticate` where HTTP wants them).
    std::map<std::string, std::string> headers;

    static admin_response error(unsigned status, std::string message);
    static admin_response plain(std::string text, std::string content_type = "text/plain; version=0.0.4");
};

/// Thrown by handlers to answer with a status and a JSON error message.
struct admin_error : std::runtime_error {
    admin_error(unsigned s, const std::string& message) : std::runtime_error(message), status(s) {}
    unsigned status;
};

class admin_server {
  public:
    using handler = std::function<awaitable<admin_response>(const admin_request&)>;

    /// Registers the built-in routes. Nothing listens until start().
    admin_server(node& n, admin_config config);
    ~admin_server();
    admin_server(const admin_server&) = delete;
    admin_server& operator=(const admin_server&) = delete;

    /// Adds a route. `pattern` is a path whose segments may be `{name}` placeholders
    /// ("/sessions/{id}/kick"). Mutating routes always need the token. Any thread; routes
    /// added after start() take effect at once.
    void add_route(std::string method, std::string pattern, bool mutating, handler h);

    /// Binds and starts accepting on the configured worker. Throws std::system_error when the
    /// address cannot be bound. The node must be running.
    void start();
    /// Stops accepting and closes the listener (connections in progress finish).
    /// Destroy the server only after its node has stopped: its connections refer to it.
    void stop();

    std::uint16_t port() const noexcept { return port_.load(); }
    const admin_config& config() const noexcept { return config_; }
    /// "http://127.0.0.1:PORT", or "https://127.0.0.1:PORT" with TLS
    std::string url() const;
    /// Reads config().tls's files again and presents the new certificate to every new
    /// connection (open ones keep theirs). Returns its SHA-256 fingerprint, or a failure
    /// (std::errc::invalid_argument naming the file, the old certificate staying;
    /// std::errc::operation_not_supported without TLS). Any thread, after start().
    rpc::outcome<std::string> reload_tls();
    /// The certificate served now; null without TLS or before start(). Any thread.
    std::shared_ptr<const tls_context> tls() const;

    /// Answers one parsed request (exposed for tests and for the connection code). HEAD runs
    /// the GET route (the connection sends no body); OPTIONS answers 204 with `Allow`.
    /// `authorization` is the Authorization field's value (empty when absent).
    awaitable<admin_response> dispatch(admin_request req, std::string_view authorization);

  private:
    struct route {
        std::string method;
        std::vector<std::string> segments;
        bool mutating;
        handler h;
    };
    struct impl;
    void add_builtin_routes();

    node& node_;
    admin_config config_;
    std::mutex routes_mutex_;
    std::vector<std::shared_ptr<const route>> routes_;
    std::unique_ptr<impl> impl_;
    std::atomic<std::uint16_t> port_{0};
};

/// RFC 3339 in UTC with milliseconds ("2026-11-21T08:00:00.123Z"), for times in admin responses.
std::string iso_time(std::chrono::system_clock::time_point t);

}  // namespace hearth

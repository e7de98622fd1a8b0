#pragma once
// Configuration of a gate service: listeners, protocol timers, limits and policies.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "framework/asio.hpp"
#include "framework/tls_options.hpp"
#include "rpc/failure.hpp"
#include "session/handshake.hpp"
#include "session/route_dictionary.hpp"

namespace hearth::session {

/// What to do when bind(uid) finds the uid bound to another live session of this gate.
enum class duplicate_login_policy {
    kick_old,    ///< the old session is kicked ("duplicate login"), the new one is bound (default)
    reject_new,  ///< bind fails with remote_error "duplicate_login"; the old session stays
};

/// The verdict of a handshake validator: code 200 accepts; 4xx/5xx refuse with `message`.
struct handshake_verdict {
    int code = 200;
    std::string message;
};

/// Runs on the session's worker before the handshake reply. May suspend (check a token with
/// another service). An exception counts as a 500 refusal.
using handshake_validator = std::function<awaitable<handshake_verdict>(const handshake_request&)>;

/// Picks the node that serves `service` for a session that has no sticky route yet. Called on
/// the session's worker with the non-empty list of nodes that host it; returns an index into
/// `nodes`. The choice then sticks to the session until that node goes down.
using node_picker = std::function<std::size_t(std::uint64_t session_id, std::string_view service,
                                              const std::vector<std::string>& nodes)>;

/// A file the WebSocket port serves over plain HTTP GET.
struct static_file {
    std::string content_type;
    std::string body;
};

/// Session resume (docs/resume.md): a session whose connection drops without a kick is parked
/// for `grace` and a client that reconnects with its token gets it back, with every Response
/// and Push it missed replayed in order. Off by default.
struct resume_options {
    bool enabled = false;
    /// How long a parked session waits for its client; then it closes for good (session_closed).
    std::chrono::milliseconds grace{30000};
    /// The replay buffer of each session: the most recent numbered packets (Responses and
    /// Pushes), at most this many bytes and packets. While the session is connected the oldest
    /// fall out; while it is parked, going over closes the session ("resume buffer full").
    std::size_t buffer_bytes = 1024 * 1024;
    std::size_t buffer_packets = 8192;
    /// Parked sessions the gate keeps at once; over it the session parked longest closes.
    /// Parked sessions are not connections: max_connections does not count them.
    std::size_t max_parked_sessions = 100000;
};

struct gate_options {
    // ---- listeners (port 0 = any free port; a negative port disables the listener) ------------
    std::string host = "127.0.0.1";
    int tcp_port = 3250;
    int ws_port = 3251;
    /// The Pomelo protocol over TLS over TCP (the TCP port's framing inside TLS). Off (-1) by
    /// default; needs `tls`.
    int tls_port = -1;
    /// WebSocket over TLS (wss://), and the static files over https on the same port. Off (-1)
    /// by default; needs `tls`.
    int wss_port = -1;
    /// The certificate, key and TLS policy of tls_port and wss_port (framework/tls_options.hpp). Loaded
    /// when the gate starts (a bad file makes the start fail with a sentence naming it) and
    /// again on gate::reload_tls(). The TLS handshake counts against handshake_timeout.
    tls_options tls;
    /// The path ws_url() advertises. Upgrades are accepted on any path (as Pomelo and Nano do:
    /// pomelo-jsclient-websocket connects to "/") unless ws_path_only is set.
    std::string ws_path = "/ws";
    /// true: upgrade only on ws_path; other upgrade requests get 404 (plain GETs still serve
    /// the static files).
    bool ws_path_only = false;
    /// In-memory files served on the WebSocket port: "/" and "/index.html" map to "/index.html".
    std::map<std::string, static_file, std::less<>> static_files;
    /// A directory served on the WebSocket port after static_files (empty: none).
    std::string static_dir;

    // ---- protocol --------------------------------------------------------------------------------
    /// Heartbeat period (client-protocol.md 2.5): the gate sends one right after the
    /// HandshakeAck, answers every client Heartbeat, sends one on its own when `heartbeat`
    /// passed without, and kicks ("heartbeat timeout") a session from which nothing (no packet,
    /// no WebSocket frame) arrived for 2 x heartbeat.
    std::chrono::milliseconds heartbeat{30000};
    std::chrono::milliseconds handshake_timeout{10000};  ///< accept -> handshake packet
    /// How long a kick (or any graceful close) may take to flush and see the client's EOF.
    std::chrono::milliseconds kick_flush_timeout{2000};
    std::chrono::milliseconds request_timeout{5000};  ///< per forwarded client request
    std::size_t max_packet_body = 64 * 1024;
    std::shared_ptr<const route_dictionary> dictionary;  ///< null: no "dict" in the handshake
    handshake_validator validator;                       ///< null: accept every handshake

    // ---- limits ----------------------------------------------------------------------------------
    std::size_t max_connections = 100000;
    std::size_t max_queued_bytes = 4 * 1024 * 1024;  ///< per session write queue
    std::size_t max_queued_packets = 16384;          ///< per session write queue
    double rate_limit = 0;                           ///< requests+notifies per second; 0 = off
    double rate_burst = 0;                           ///< bucket size; 0 = max(1, rate_limit)

    // ---- per source IP address (every client port: TCP, WebSocket, and their TLS forms) ---------
    // Checked right after accept, before anything is read (no TLS or WebSocket handshake):
    // a refused connection is closed at once, counted in hearth_gate_rejected_total{reason=
    // "per_address_connections"|"per_address_rate"} and logged at most once per 5 s. Off by
    // default. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as a.b.c.d.
    /// Open connections per address (WebSocket-port HTTP connections included); 0 = no limit.
    std::size_t max_connections_per_address = 0;
    /// New connections per second per address (a token bucket); 0 = no limit.
    double connection_rate_per_address = 0;
    /// The bucket's size: connections an address may open at once; 0 = max(1, rate), else >= 1.
    double connection_burst_per_address = 0;
    /// Networks exempt from both limits, as CIDR: "10.0.0.0/8", "2001:db8::/32", "::1/128" (a
    /// bare address is one host). Bits after the prefix are ignored.
    std::vector<std::string> trusted_networks;
    /// Loopback (127.0.0.0/8, ::1) is exempt too. On by default: connections from the host itself
    /// are a local proxy, health checks or tools, and everything behind a local proxy shares
    /// one address; set false to limit loopback like any address (the tests do).
    bool exempt_loopback = true;

    // ---- policies --------------------------------------------------------------------------------
    duplicate_login_policy duplicate_login = duplicate_login_policy::kick_old;
    resume_options resume;
    node_picker picker;  ///< null: session id modulo the number of hosting nodes

    /// Reads the JSON form (every key optional; unknown keys are an error):
    /// {"host","tcp_port","ws_port","tls_port","wss_port","tls":{tls_options' JSON form, the CA key
    ///  being "client_ca_file"},"ws_path","ws_path_only","static_dir","heartbeat_ms","handshake_timeout_ms",
    ///  "kick_flush_timeout_ms","request_timeout_ms","max_packet_body","max_connections",
    ///  "max_queued_bytes","max_queued_packets","rate_limit","rate_burst",
    ///  "max_connections_per_address","connection_rate_per_address","connection_burst_per_address",
    ///  "trusted_networks":["CIDR",...],"exempt_loopback",
    ///  "duplicate_login":"kick_old"|"reject_new","dict":{"route":code},
    ///  "resume":{"enabled":bool,"grace_ms","buffer_bytes","buffer_packets","max_parked_sessions"}}.
    /// The *_ms timers are numbers in 1..86400000 (fractions truncated); sizes are integers > 0;
    /// ports are integers in -1..65535; max_connections_per_address is an integer >= 0;
    /// connection_rate_per_address a number >= 0; connection_burst_per_address 0 or a number
    /// >= 1; an invalid CIDR in trusted_networks is an error quoting it; tls_port or wss_port
    /// >= 0 without a "tls" block is an error.
    /// Returns the options, or (never throwing for bad input) a failure whose code is
    /// std::errc::invalid_argument and whose message is a sentence naming the first bad key.
    static rpc::outcome<gate_options> from_json(const nlohmann::json& j);
};

}  // namespace hearth::session

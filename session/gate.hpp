#pragma once
// hearth::session::gate: the service that accepts game clients over TCP and WebSocket, each
// also over TLS, and speaks client-protocol.md with them.
//
//   hearth::session::gate_options o;
//   o.tcp_port = 3250;
//   auto& g = node.add_service<hearth::session::gate>("gate", o);
//   node.start();
//   if (!g.wait_listening(5s)) ...;   // g.tcp_url(), g.ws_url()
//
// Sessions are pinned to the node's workers round-robin. A client Request "room.join" is
// forwarded (payload as JSON text, untouched) to service "room" on this node if it hosts it,
// else to a node of the cluster that hosts "room" (sticky per session; see gate_options::picker),
// with the session in the call_context (session::ref::from(ctx) in the handler). Every Request
// gets exactly one Response, an error Response (flag 0x20) when the call fails.
//
// Other services reach sessions with session::ref and session::group, which send the methods
// of session/gate_methods.hpp to "gate@<node>". The service must be named "gate" for
// session::ref::from(ctx) to find it.
//
// Shutdown: the gate registers two steps with the node: "gate: stop accepting clients"
// (phase stop_accepting) and "gate: kick clients" (phase kick_clients, reason
// "server shutting down"; it waits until every session is closed or the step's deadline).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/log.hpp"
#include "framework/metrics.hpp"
#include "framework/service.hpp"
#include "framework/tls.hpp"
#include "session/gate_methods.hpp"
#include "session/gate_options.hpp"

namespace hearth::session {

class ref;
class group;

namespace detail {
class connection;
class listener;
struct gate_access;
struct address_key;
class address_lease;
}  // namespace detail

class gate final : public hearth::service {
  public:
    explicit gate(gate_options options = {});
    ~gate() override;

    const gate_options& options() const noexcept { return options_; }

    /// Blocks until the listeners are open (true) or failed to open (false, see listen_error()).
    /// Any thread except this node's workers.
    bool wait_listening(std::chrono::milliseconds timeout);
    std::string listen_error() const;
    /// Bound ports (0 when the listener is disabled or not open yet). Any thread.
    std::uint16_t tcp_port() const noexcept { return tcp_port_.load(); }
    std::uint16_t ws_port() const noexcept { return ws_port_.load(); }
    std::uint16_t tls_port() const noexcept { return tls_port_.load(); }
    std::uint16_t wss_port() const noexcept { return wss_port_.load(); }
    /// "tcp://HOST:PORT", "ws://HOST:PORT/PATH" (PATH = ws_path; unless ws_path_only, any path
    /// upgrades), "http://HOST:PORT/", and their TLS forms "tls://HOST:PORT",
    /// "wss://HOST:PORT/PATH", "https://HOST:PORT/" (empty when the port is disabled).
    std::string tcp_url() const;
    std::string ws_url() const;
    std::string http_url() const;
    std::string tls_url() const;
    std::string wss_url() const;
    std::string https_url() const;

    /// The certificate the TLS ports present now (null when TLS is off or before the start).
    /// Any thread.
    std::shared_ptr<const tls_context> tls() const;
    /// Reads options().tls's files again and, if they load, presents the new certificate to
    /// every TLS handshake from now on; open sessions keep theirs (nothing is closed). Returns
    /// the new certificate's SHA-256 fingerprint, or a failure (std::errc::invalid_argument
    /// with the sentence of tls_context, naming the file; the old certificate stays;
    /// std::errc::operation_not_supported when the gate has no TLS port). Any thread; reads
    /// the files on the caller's thread.
    rpc::outcome<std::string> reload_tls();

    /// Open client connections (accepted and not yet closed; a parked session has none). Any
    /// thread.
    std::size_t session_count() const noexcept { return connections_.load(std::memory_order_relaxed); }
    /// Sessions parked now, waiting for their client to resume (docs/resume.md). Any thread.
    std::size_t parked_count() const noexcept { return parked_.load(std::memory_order_relaxed); }

    /// One live session as the admin endpoint lists it.
    struct session_info {
        std::uint64_t id = 0;
        std::string uid;  ///< empty until bound
        unsigned worker = 0;
        std::chrono::system_clock::time_point since;  ///< when the session opened
        /// Parked (its connection lost, waiting for a resume) since then; nullopt when connected.
        std::optional<std::chrono::system_clock::time_point> parked_since;
    };
    struct session_page {
        std::size_t total = 0;            ///< live sessions known to the gate
        std::vector<session_info> items;  ///< sorted by id, from `offset`, at most `limit`
    };
    /// A page of the sessions the gate knows, read on the gate's home worker. Completes on the
    /// caller's executor; any coroutine may await it. A session that just opened may be missing
    /// for the instant its record takes to reach the home worker.
    awaitable<session_page> list_sessions(std::size_t offset, std::size_t limit);
    /// Kicks session `id` with `reason` (as gate.kick does). Completes on the caller's executor
    /// with false, doing nothing, when the gate knows no live session with that id.
    awaitable<bool> kick_session(std::uint64_t id, std::string reason);

    /// Counters shared by every session of this gate (node metrics, names hearth_gate_*).
    struct counters {
        hearth::gauge& sessions;
        hearth::counter& accepted;
        hearth::counter& rejected;                   // over max_connections (reason label)
        hearth::counter& rejected_per_address;       // over max_connections_per_address
        hearth::counter& rejected_per_address_rate;  // over connection_rate_per_address
        hearth::gauge& tracked_addresses;            // entries of the per-address table
        hearth::counter& bytes_in;
        hearth::counter& bytes_out;
        hearth::counter& packets_in;
        hearth::counter& packets_out;
        hearth::counter& protocol_errors;
        hearth::counter& slow_kicked;
        hearth::counter& rate_limited;
        hearth::counter& requests;
        hearth::counter& request_errors;
        hearth::counter& kicked;
        hearth::counter& tls_handshakes;  // TLS handshakes completed (tls and wss ports)
        // Session resume (docs/resume.md).
        hearth::gauge& parked;               // sessions parked now
        hearth::counter& resumes;            // resumes that succeeded
        hearth::counter& replayed;           // packets written again after a resume
        hearth::counter& resume_expired;     // parked sessions closed at the end of the grace
        hearth::counter& resume_overflow;    // parked sessions closed: replay buffer full
        hearth::gauge& resume_buffer_bytes;  // bytes held by every replay buffer
        /// TLS handshakes that failed, one counter per tls_error_reason() label.
        std::vector<std::pair<std::string_view, hearth::counter*>> tls_errors;
        /// Resumes refused, one counter per reason (malformed, unknown, bad_token, too_old, ahead).
        std::vector<std::pair<std::string_view, hearth::counter*>> resume_refused;
    };
    counters& stats() noexcept { return *counters_; }

  protected:
    awaitable<void> on_start() override;
    awaitable<void> on_stop() override;

  private:
    friend class detail::connection;
    friend class detail::listener;
    friend struct detail::gate_access;   // the WebSocket port's free functions
    friend class detail::address_lease;  // gives its slot back (release_address)
    friend class ref;
    friend class group;

    // ---- for the session module's listeners and connections (friends), on their worker -------
    /// Session ids carry their worker index in the low 8 bits.
    static unsigned worker_of(std::uint64_t session_id) noexcept {
        return static_cast<unsigned>(session_id & 0xff);
    }
    std::uint64_t next_session_id(unsigned worker_index);
    void on_session_opened(const std::shared_ptr<detail::connection>& c);
    /// The session of `c` closed for good (session_closed to the services that served it).
    /// `was_parked`: it was parked until now. Its worker.
    void on_session_closed(detail::connection& c, std::string reason, std::vector<std::string> served,
                           bool was_parked);
    /// Resume bookkeeping, on the session's worker: parked (counted, listed, bounded by
    /// max_parked_sessions), attached to a relay again, and a connection that became the relay
    /// of another session (its own session record goes, without any event).
    void on_session_parked(detail::connection& c);
    void on_session_unparked(detail::connection& c);
    void on_relay_started(detail::connection& c);
    void count_resume_refused(std::string_view reason);
    bool admit();  ///< counts a connection if under max_connections
    /// The listener's check of a connection just accepted from `peer`, on the home worker: the
    /// per-address limits, then max_connections. True: admitted (and `lease` holds the
    /// address's slot when the address is tracked); false: counted and logged, close it.
    bool admit(const detail::address_key& peer, detail::address_lease& lease);
    void release_admission();  ///< an admitted connection that never became a session
    /// True once shutdown began kicking every session (kick_all): new sessions are kicked as
    /// they open, and connections of the WebSocket port that have not upgraded are ended.
    bool draining() const noexcept { return draining_.load(std::memory_order_acquire); }
    /// A connection of the WebSocket port that has not upgraded yet parks on `deadline` (its
    /// handshake deadline) while it waits for the client; the drain cancels these timers so
    /// an idle keep-alive or half-sent request does not hold shutdown up. Register on worker
    /// `worker_index`, unregister before the timer is destroyed.
    void track_http_deadline(unsigned worker_index, asio::steady_timer* deadline);
    void untrack_http_deadline(unsigned worker_index, asio::steady_timer* deadline);

    // ---- for session::ref and session::group (friends), when the gate is on their node -------
    // Each queues the operation on the worker that owns what it changes (the session's worker,
    // or the home worker for session data) with worker::post_now: it is there before anything
    // the caller sends afterwards, in particular before the reply of the handler that called
    // it, which reaches the session's worker through the caller's worker. Any worker thread of
    // this node; the session may have closed (then nothing happens).
    void deliver_push(std::uint64_t session_id, std::string route, std::string payload);
    void deliver_kick(std::uint64_t session_id, std::string reason);
    void deliver_set(std::uint64_t session_id, std::string key, nlohmann::json value);
    /// One Push packet, encoded here, shared by every listed session's write queue.
    void deliver_broadcast(std::string_view route, std::string_view payload,
                           const std::vector<std::uint64_t>& session_ids);

    // Per worker: the sessions pinned to it. Touched only on that worker's thread.
    struct shard {
        std::unordered_map<std::uint64_t, std::shared_ptr<detail::connection>> sessions;
        std::uint64_t next_seq = 1;
        std::unordered_set<std::string> remote_services;         // ever routed remotely: down = unavailable
        std::unordered_set<asio::steady_timer*> http_deadlines;  // connections not yet sessions
        log_throttle tls_errors{std::chrono::seconds(5)};        // one line per 5 s per worker
    };
    // On the home worker: what the gate knows about each live session.
    struct record {
        std::string uid;
        unsigned worker = 0;
        std::chrono::system_clock::time_point since;
        std::unordered_map<std::string, nlohmann::json> data;
        std::optional<std::chrono::system_clock::time_point> parked_since;
        std::uint64_t parked_order = 0;  // key in parked_order_ while parked
    };

    shard& shard_at(unsigned worker_index) { return *shards_.at(worker_index); }

    // Runs f(connection&) on the session's worker if it is alive there.
    template <class F>
    void with_session(std::uint64_t session_id, F f);

    awaitable<void> on_push(push_request r);
    awaitable<void> on_kick(kick_request r);
    awaitable<result<bind_response>> on_bind(bind_request r);
    awaitable<void> on_set(set_request r);
    awaitable<result<nlohmann::json>> on_get(get_request r);
    awaitable<void> on_broadcast(broadcast_request r);
    awaitable<void> on_reply(reply_request r);

    awaitable<void> stop_accepting();
    awaitable<void> kick_all(std::string reason);
    /// A connection ended: one fewer counted; wakes kick_all() when it was the last.
    void connection_gone() noexcept;
    /// An admitted connection from `peer` ended: posts the release to the home worker. Any worker.
    void release_address(const detail::address_key& peer) noexcept;
    void stop_listeners();  ///< every open listener; home worker
    /// A TLS handshake failed on worker `worker_index`: counted by reason, logged rarely.
    void on_tls_failed(unsigned worker_index, const boost::system::error_code& ec);
    /// Arms the timer that removes per-address entries whose bucket is full again. Home worker.
    void schedule_address_sweep();

    gate_options options_;
    std::unique_ptr<counters> counters_;
    std::vector<std::unique_ptr<shard>> shards_;
    std::unordered_map<std::uint64_t, record> records_;         // home worker only
    std::unordered_map<std::string, std::uint64_t> uid_index_;  // home worker only
    // Parked sessions in the order they parked (for max_parked_sessions): home worker only.
    std::map<std::uint64_t, std::uint64_t> parked_order_;  // order -> session id
    std::uint64_t next_parked_order_ = 1;
    std::atomic<std::size_t> parked_{0};
    // The per-address limits (table, sweep timer, log throttle): home worker only; null when
    // the limits are off.
    struct per_address;
    std::unique_ptr<per_address> per_address_;
    log_throttle max_connections_refusals_{std::chrono::seconds(5)};  // home worker (admit)

    std::shared_ptr<detail::listener> tcp_listener_;
    std::shared_ptr<detail::listener> ws_listener_;
    std::shared_ptr<detail::listener> tls_listener_;
    std::shared_ptr<detail::listener> wss_listener_;
    std::atomic<std::uint16_t> tcp_port_{0};
    std::atomic<std::uint16_t> ws_port_{0};
    std::atomic<std::uint16_t> tls_port_{0};
    std::atomic<std::uint16_t> wss_port_{0};
    tls_endpoint tls_;  // the TLS ports' context
    std::atomic<std::size_t> connections_{0};
    // Set by kick_all() (after drain_reason_) and never cleared.
    std::atomic<bool> draining_{false};
    std::string drain_reason_;
    std::atomic<unsigned> next_worker_{0};
    std::atomic<bool> ready_{false};  // shards_ exist (set once by on_start)

    // kick_all() parks on this timer until the last connection is gone (no polling).
    std::mutex drain_mutex_;
    asio::steady_timer* drain_timer_ = nullptr;  // guarded by drain_mutex_

    mutable std::mutex listen_mutex_;
    std::condition_variable listen_cv_;
    bool listen_done_ = false;  // guarded by listen_mutex_
    std::string listen_error_;  // guarded by listen_mutex_
};

}  // namespace hearth::session

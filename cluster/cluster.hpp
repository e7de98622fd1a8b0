#pragma once
// hearth::cluster::cluster: a node's membership in a cluster. It is the node's
// remote_transport (calls to "svc@other-node" go through it), owns one sender per remote node,
// the listener and one agent per accepted link, the membership table, and hot reload.
//
//     auto c = hearth::cluster::join(node, config);  // listen on the node's address, start
//     if (!c) fail(c.error().message);
//     node.start();
//
// Step by step (tests listen on port 0): create(node), listen(endpoint), start(config).
//
// Lifetime: create() returns a shared_ptr and start() installs it with node.set_transport(),
// so the node keeps it alive. start() registers two shutdown steps ("cluster: announce leave",
// phase announce_leave; "cluster: drain senders", phase drain_senders) that tell every peer this
// node leaves, flush the queues and close every link. If the node never starts, call close()
// before destroying it.
//
// Thread safety: every public function may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cluster/config.hpp"
#include "cluster/membership.hpp"
#include "cluster/options.hpp"
#include "cluster/outcome.hpp"
#include "framework/log.hpp"
#include "framework/node.hpp"
#include "framework/remote_transport.hpp"
#include "framework/string_hash.hpp"
#include "framework/tls.hpp"
#include "framework/wakeup.hpp"

namespace spdlog {
class logger;
}

namespace hearth {
class counter;
}

namespace hearth::cluster {

class sender;
class agent;
struct listener_state;
namespace detail {
class peer_record;
}

/// Link state of a sender, as the metrics and stats() show it.
enum class link_state { idle, connecting, handshaking, up, tearing_down, backing_off, stopped };
std::string_view to_string(link_state s) noexcept;

/// A snapshot of one sender (tests and the admin endpoint).
struct peer_stats {
    link_state state = link_state::idle;
    node_state membership = node_state::unknown;
    std::uint64_t connect_attempts = 0;  ///< sockets opened (one per attempt)
    std::uint64_t links_up = 0;          ///< handshakes that succeeded (this sender object)
    std::uint64_t peer_links_up = 0;     ///< handshakes that succeeded, over every sender this peer had
    /// Sockets to this peer open now, over every sender object (0 or 1).
    std::uint64_t live_sockets = 0;
    /// The most sockets to this peer ever open at one instant in this process, over every
    /// sender a reload created for it (must stay <= 1).
    std::uint64_t max_live_sockets = 0;
    std::int64_t clock_offset_us = 0;    ///< the peer's clock minus ours (NTP-style estimate)
    std::uint64_t round_trip_us = 0;     ///< round trip of the sample the offset comes from
    std::uint64_t queued = 0;            ///< messages waiting to be written
    std::uint64_t in_flight = 0;         ///< calls written, reply not yet received
    std::uint64_t expired_dropped = 0;   ///< queued calls dropped because their deadline passed
    std::uint64_t unknown_replies = 0;   ///< replies for calls not in flight (late or foreign)
    std::uint64_t peer_incarnation = 0;  ///< from the last welcome
    std::chrono::milliseconds last_backoff{0};
    std::vector<std::chrono::milliseconds> backoff_history;  ///< the last 32 delays, oldest first
    std::string last_failure;                                ///< why the last link or attempt ended
};

class cluster final : public remote_transport, public std::enable_shared_from_this<cluster> {
    struct private_tag {};

  public:
    /// A cluster for node `n`, not listening and not started (see join() for the usual way).
    static std::shared_ptr<cluster> create(node& n, cluster_options options = {});

    cluster(private_tag, node& n, cluster_options options);
    ~cluster() override;
    cluster(const cluster&) = delete;
    cluster& operator=(const cluster&) = delete;

    /// Binds and listens (SO_REUSEADDR) on `ep` at once; port 0 picks a free port. A host name
    /// is resolved (blocking) and the first resolved address that binds is used. Returns the
    /// bound port, or a failure naming the address. Call once, before start().
    outcome<std::uint16_t> listen(const endpoint& ep);
    std::uint16_t port() const noexcept { return port_.load(); }

    /// Validates that this node is in `config`, creates a sender for every other online node,
    /// starts accepting, installs the transport and registers the shutdown steps. Call once.
    outcome<void> start(cluster_config config);

    /// Applies a new configuration (see config_diff): new nodes get senders, removed nodes are
    /// torn down (their queued and in-flight calls fail `unreachable`; their inbound links are
    /// closed with a reject frame, `unknown_node`, and their new ones refused), changed addresses
    /// reconnect at once, unchanged nodes keep their links and calls; a changed cluster name,
    /// secret or codec re-establishes every link. Returns the diff it applied. An invalid
    /// configuration (or one without this node) is rejected with bad_config and nothing
    /// changes. `dry_run` only computes the diff. Concurrent reloads are serialized; reloading
    /// the same configuration again returns an empty diff and changes nothing.
    outcome<config_diff> reload(const cluster_config& next, bool dry_run = false);
    outcome<config_diff> reload(std::string_view json_text, bool dry_run = false);

    cluster_config config() const;
    std::shared_ptr<const cluster_config> config_snapshot() const;
    hearth::cluster::membership& members() noexcept { return membership_; }
    const cluster_options& options() const noexcept { return options_; }
    hearth::node& owner() noexcept { return node_; }

    /// Snapshot of the sender for `peer`; nullopt when there is none (unknown, removed, self).
    std::optional<peer_stats> stats(std::string_view peer) const;
    std::uint64_t misaddressed_frames() const noexcept;
    std::uint64_t handshake_failures() const noexcept;
    std::uint64_t reload_count() const noexcept;
    std::size_t agent_count() const;

    /// Tells every peer this node leaves (leave frames on all links) and refuses new calls.
    void announce_leave();
    /// True when every sender has an empty queue and no call in flight.
    bool drained() const;
    /// Closes the listener and every link at once; idempotent. Calls in flight fail
    /// `unreachable`.
    void close();

    // ---- remote_transport ------------------------------------------------------------------
    rpc::codec codec() const noexcept override { return codec_.load(std::memory_order_relaxed); }
    std::optional<rpc::error> send(const outbound_message& m) override;
    std::vector<std::string> nodes_hosting(std::string_view service) const override;

    // ---- used by sender and agent ------------------------------------------------------------
    /// This node's TLS contexts for cluster links (config().tls with "{node}" replaced by this
    /// node's name): `server` for the agents, `client` for the senders. Null when links are
    /// plain. Replaced whole by start() and by every applied reload (the files are read again);
    /// a link keeps the contexts it was made with. Any thread.
    struct link_tls {
        std::shared_ptr<const tls_context> server;
        std::shared_ptr<const tls_context> client;
    };
    std::shared_ptr<const link_tls> tls() const;
    /// A TLS handshake of a link failed: counted in hearth_cluster_tls_errors_total{reason}
    /// (tls_error_reason) and logged at most once per log_interval.
    void count_tls_failure(const boost::system::error_code& ec, std::string_view who);
    spdlog::logger& log() noexcept { return *log_; }
    void count_misaddressed() noexcept;
    void count_handshake_failure(errc why);
    /// An agent passed its handshake for `peer`: an older agent of the same peer is closed.
    /// False when `peer` is no longer in the configuration (a reload removed it meanwhile):
    /// the agent must then reject the link.
    bool agent_up(const std::shared_ptr<agent>& a, const std::string& peer);
    void agent_gone(agent* a);
    /// The peer announced leave on one of its links to us.
    void peer_leaving(const std::string& peer);
    unsigned next_agent_worker() noexcept;
    bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }
    /// A sender or agent changed something the shutdown steps wait for (a leave written, a
    /// batch written, replies taken, a queue failed): wakes the step waiting, if any. Any
    /// thread; before the shutdown began it costs one fence and one load.
    void shutdown_progress() noexcept;

  private:
    std::shared_ptr<sender> make_sender(const std::string& name, std::optional<endpoint> address);
    void start_accepting();
    /// Waits on worker 0 until done() holds or `limit` passes, woken by shutdown_progress().
    awaitable<void> wait_for(std::chrono::milliseconds limit, std::function<bool()> done);

    node& node_;
    cluster_options options_;
    std::shared_ptr<spdlog::logger> log_;
    hearth::cluster::membership membership_;

    /// Loads this node's link contexts from `o` (nullptr when `o` is off); failure: bad_config
    /// with tls_context's sentence naming the file.
    outcome<std::shared_ptr<const link_tls>> load_tls(const tls_options& o) const;

    mutable std::mutex config_mutex_;
    std::shared_ptr<const cluster_config> config_;
    std::shared_ptr<const link_tls> tls_;  // guarded by config_mutex_
    std::mutex tls_log_mutex_;
    log_throttle tls_log_;  // guarded by tls_log_mutex_
    std::atomic<rpc::codec> codec_{rpc::codec::json};
    std::mutex reload_mutex_;

    mutable std::shared_mutex senders_mutex_;
    std::unordered_map<std::string, std::shared_ptr<sender>, hearth::string_hash, std::equal_to<>> senders_;
    // One per peer name ever configured, kept across removals: what outlives a sender object
    // (socket slot and counts, reconnect count, log limiter). Guarded by senders_mutex_.
    std::unordered_map<std::string, std::shared_ptr<detail::peer_record>> peers_;

    mutable std::mutex agents_mutex_;
    std::map<agent*, std::shared_ptr<agent>> agents_;
    std::map<std::string, std::weak_ptr<agent>> agent_by_peer_;

    std::shared_ptr<listener_state> listener_;
    std::atomic<std::uint16_t> port_{0};
    std::atomic<unsigned> next_agent_worker_{0};
    std::atomic<bool> started_{false};
    std::atomic<bool> stopping_{false};
    hearth::wakeup shutdown_wakeup_;  // the shutdown steps' waiter runs on worker 0
    std::atomic<bool> closed_{false};
    std::uint64_t collector_id_ = 0;

    hearth::counter* misaddressed_ = nullptr;
    hearth::counter* handshake_failures_ = nullptr;
    hearth::counter* reloads_ = nullptr;
};

/// The usual way in: create(), listen() on the node's own address from `config`, start().
/// Fails with bad_config when the node is not in `config` or offline there, or with the bind
/// error. Any thread, before or after node.start().
///
///     auto c = hearth::cluster::join(node, config);
///     if (!c) fail(c.error().message);
outcome<std::shared_ptr<cluster>> join(node& n, cluster_config config, cluster_options options = {});

}  // namespace hearth::cluster

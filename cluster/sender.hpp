#pragma once
// The sender: this node's one outbound link to one remote node (Skynet's clustersender).
//
// It owns a bounded queue of calls and notifies not yet written, the calls written and not yet
// answered, and the replies that come back; the socket, the reader, the coalescing writer and
// the watchdog are its detail::link (cluster/detail/link.hpp, shared with the agent). States:
//
//   idle → connecting → handshaking → up → tearing_down → backing_off → connecting …
//
// Invariants:
// - At most one socket to the peer exists at any instant in this process, whatever sender
//   owns it: a sender opens one only while it holds the peer's socket slot
//   (detail::peer_record), which an older sender of the same peer (removed and re-added by
//   a reload) gives back only once its socket is closed. peer_stats::max_live_sockets proves it.
// - Reconnect only after full teardown: shutdown, close, reader, writer and watchdog exited,
//   calls in flight failed `unreachable`; then the backoff delay (full jitter), reset after
//   the link stayed up for options.stable_after.
// - Why an attempt or a link ended is a value (`failure`: a cluster::errc and one sentence),
//   shown in stats().last_failure as "<sentence>" and in the logs and membership events.
// - Every accepted call gets at most one reply (the in-flight entry is erased before
//   delivery).
// - All socket work runs on the sender's worker; enqueue() from other threads appends to a
//   mutex-protected queue and posts one wake-up per batch.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cluster/backoff.hpp"
#include "cluster/cluster.hpp"
#include "cluster/detail/call_table.hpp"
#include "cluster/detail/link.hpp"
#include "cluster/detail/peer_record.hpp"
#include "cluster/detail/send_queue.hpp"
#include "cluster/frame.hpp"
#include "framework/log.hpp"

namespace hearth::cluster {

class sender : public std::enable_shared_from_this<sender> {
  public:
    /// `record` is the peer's (shared with any earlier or later sender for the same peer).
    sender(cluster& owner, std::string peer, std::optional<endpoint> address, std::uint64_t membership_owner,
           unsigned worker, std::shared_ptr<detail::peer_record> record);
    sender(const sender&) = delete;
    sender& operator=(const sender&) = delete;

    const std::string& peer() const noexcept { return peer_; }
    unsigned worker_index() const noexcept { return worker_; }

    /// Any thread, never blocks. Accepts the message into the queue or says why not:
    /// unreachable (removed, offline, left, stopping), overloaded (queue bound reached).
    std::optional<rpc::error> enqueue(const outbound_message& m);

    // Commands; any thread; they take effect on the sender's worker.
    void start();
    void change_address(std::optional<endpoint> address);
    void relink();
    void remove();
    void leave();
    void stop();

    bool drained() const noexcept;
    bool leave_written() const noexcept { return link_.leave_written(); }
    peer_stats stats() const;

  private:
    friend class detail::link<sender>;

    /// How one connection attempt ended: whether the link came up, and why it is over.
    struct attempt_end {
        bool was_up;
        failure why;
    };

    awaitable<void> run();
    awaitable<attempt_end> establish();
    void teardown(const attempt_end& end);
    awaitable<bool> acquire_slot();
    void release_slot();
    void release_socket();

    // The handshake's steps (protocol.md 4), in order; each failure names its step.
    awaitable<outcome<void>> handshake(const endpoint& target);
    awaitable<outcome<std::vector<asio::ip::tcp::endpoint>>> resolve(const endpoint& target);
    awaitable<outcome<void>> connect(const endpoint& target,
                                     const std::vector<asio::ip::tcp::endpoint>& candidates);
    awaitable<outcome<nonce>> read_challenge(const endpoint& target);
    hello_frame make_hello(const cluster_config& cfg, const std::vector<std::string>& services);
    outcome<void> sign_hello(hello_frame& hello, const cluster_config& cfg, const nonce& challenge);
    awaitable<outcome<void>> write_hello(const endpoint& target, const hello_frame& hello);
    awaitable<outcome<void>> read_welcome(const endpoint& target, const hello_frame& hello,
                                          const nonce& challenge, const cluster_config& cfg);
    /// Counts a handshake failure that this end detected and tells the peer with a reject.
    awaitable<failure> refuse(failure why);

    // detail::link<sender>'s role (see cluster/detail/link.hpp).
    bool on_frame(frame& f, clock::time_point now);
    // Replies were taken: the shutdown's drain step may be waiting for the last one.
    void on_read_end() noexcept;
    void on_clock() noexcept { publish_clock(); }
    void fill_write(std::string& out, clock::time_point now, std::uint64_t& frames);
    void on_idle();
    void on_watchdog(clock::time_point now);
    void on_close() noexcept { set_state(link_state::tearing_down); }
    void on_progress() noexcept;
    void on_io_released();

    void post_command(std::function<void(sender&)> f);
    void abort_link(failure why);
    /// Encodes one queued message into `out`; false when nothing was written for it (its
    /// deadline passed, or it cannot be encoded: the caller of a call is answered).
    bool encode_message(const detail::send_queue::entry& m, clock::time_point now, std::string& out);
    void fail_in_flight(const std::string& why);
    void fail_queue(const std::string& why, bool close_queue);
    void publish_clock() noexcept;
    void set_state(link_state s) noexcept { state_.store(s, std::memory_order_relaxed); }

    cluster& owner_;
    node& node_;
    const std::string peer_;
    const std::uint64_t membership_owner_;
    const unsigned worker_;
    const std::shared_ptr<detail::peer_record> record_;
    asio::any_io_executor ex_;
    std::shared_ptr<spdlog::logger> log_;

    // ---- shared with other threads ------------------------------------------------------------
    mutable std::mutex queue_mutex_;
    detail::send_queue queue_;                // guarded by queue_mutex_
    std::size_t queued_bytes_ = 0;            // guarded by queue_mutex_
    bool queue_closed_ = false;               // guarded by queue_mutex_
    std::atomic<std::size_t> batch_left_{0};  // messages in the writer's batch not yet written
    std::atomic<bool> online_{false};         // has an address
    std::atomic<bool> peer_left_{false};      // the peer announced leave; cleared by the next link up
    std::atomic<link_state> state_{link_state::idle};
    std::atomic<std::uint64_t> connect_attempts_{0}, links_up_{0};
    std::atomic<std::uint64_t> in_flight_count_{0}, expired_dropped_{0}, unknown_replies_{0};
    std::atomic<std::uint64_t> peer_incarnation_{0};
    std::atomic<std::int64_t> clock_offset_us_{0};
    std::atomic<std::uint64_t> round_trip_us_{0};
    mutable std::mutex info_mutex_;  // guards the next two
    std::deque<std::chrono::milliseconds> backoff_history_;
    std::string last_failure_;

    // ---- the sender's worker only ---------------------------------------------------------------
    std::optional<endpoint> address_;
    bool started_ = false;
    bool removed_ = false;
    bool stopped_ = false;
    bool reconnect_now_ = false;
    // The sender's own io objects: created by run() inside the link's io_scope, released with
    // it (on_io_released), like the link's socket and timers.
    std::optional<asio::steady_timer> command_timer_;
    std::optional<asio::steady_timer> slot_timer_;  // waiting for the peer's socket slot
    std::optional<asio::ip::tcp::resolver> resolver_;
    bool holds_slot_ = false;
    bool socket_counted_ = false;
    detail::send_queue batch_;  // swapped with queue_; [batch_pos_, end) not yet written
    std::size_t batch_pos_ = 0;
    detail::call_table in_flight_;  // calls written, not yet answered → the caller's deadline
    hearth::cluster::backoff backoff_;
    clock::time_point up_since_{};
    std::chrono::milliseconds peer_heartbeat_{1000};  // from the welcome
    std::size_t peer_max_frame_ = default_max_frame;
    std::uint64_t link_incarnation_ = 0;
    rpc::codec link_codec_ = rpc::codec::json;
    std::string self_name_;
    hearth::counter* reconnects_;
    detail::link<sender> link_;  // last: its io_scope calls back into the members above
};

}  // namespace hearth::cluster

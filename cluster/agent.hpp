#pragma once
// The agent: one per accepted inbound link (Skynet's clusteragent). It runs the acceptor side
// of the handshake (challenge, hello check, welcome or reject), dispatches the peer's calls and
// notifies to local services, and writes their replies on the same socket through a
// coalescing writer. The socket, the reader, the writer and the watchdog are its detail::link
// (cluster/detail/link.hpp, shared with the sender).
//
// Invariants: every socket operation runs on the agent's worker; replies from service workers
// are encoded into a mutex-protected buffer and one wake-up per batch is posted; a frame
// addressed to another node name or another incarnation is dropped, logged (rate-limited) and
// counted; any handshake failure gets a reject frame, a close, a log line and a count;
// nothing the peer sends can throw out of the agent.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "cluster/cluster.hpp"
#include "cluster/detail/link.hpp"
#include "cluster/frame.hpp"
#include "framework/log.hpp"

namespace hearth::cluster {

class agent final : public std::enable_shared_from_this<agent>, public node::inbound_replies {
  public:
    /// Runs on the socket's executor (the worker the socket was accepted onto).
    agent(cluster& owner, asio::ip::tcp::socket socket);
    agent(const agent&) = delete;
    agent& operator=(const agent&) = delete;

    /// Starts the handshake and the link (on the agent's worker).
    void start();
    /// Closes the link; any thread; idempotent.
    void close(std::string reason);
    /// Refuses the link from now on: dispatches nothing more, writes a reject frame with `code`
    /// and `text` (after the replies already encoded are dropped), then closes. Any thread.
    void reject(errc code, std::string text);
    /// Writes a leave frame on the link; any thread.
    void leave();
    /// Queues the reply to a call for the writer; any thread. Dropped when the link is closed.
    void send_reply(std::uint64_t call_id, std::uint32_t worker, const remote_outcome& outcome);
    /// node::inbound_replies: the outcome of a call this agent dispatched.
    void reply(std::uint64_t call_id, std::uint32_t worker, remote_outcome&& outcome) override {
        send_reply(call_id, worker, outcome);
    }

    const std::string& peer() const noexcept { return peer_; }
    bool leave_written() const noexcept { return link_.leave_written(); }

  private:
    friend class detail::link<agent>;

    awaitable<void> run(asio::ip::tcp::socket socket);
    awaitable<bool> handshake();
    /// Counts a handshake failure, logs it at `level` and tells the peer with a reject.
    awaitable<void> refuse(errc code, std::string why, spdlog::level::level_enum level);
    /// Adds a call or notify to the batch for the node (or drops it when misaddressed).
    void collect(const request_frame& r, bool is_call, std::uint64_t call_id, std::uint32_t worker);
    /// Hands the collected requests to the node. Their views point into the decoder's buffer:
    /// this runs before the next read.
    void flush_batch();

    // detail::link<agent>'s role (see cluster/detail/link.hpp).
    bool on_frame(frame& f, clock::time_point now);
    void on_read_end() { flush_batch(); }
    void on_clock() noexcept {}
    void fill_write(std::string& out, clock::time_point now, std::uint64_t& frames);
    void on_idle() noexcept {}
    void on_watchdog(clock::time_point) noexcept {}
    void on_close();
    void on_progress() noexcept;
    void on_io_released() noexcept {}

    cluster& owner_;
    node& node_;
    asio::any_io_executor ex_;
    std::shared_ptr<spdlog::logger> log_;
    std::optional<asio::ip::tcp::socket> accepted_;  // until start() moves it into run()
    std::string remote_;
    std::string peer_;  // set once by the handshake, before anything reads it from elsewhere

    std::mutex out_mutex_;
    std::string pending_;               // guarded by out_mutex_: encoded replies not yet written
    std::uint64_t pending_frames_ = 0;  // guarded by out_mutex_: how many frames pending_ holds
    bool accepting_replies_ = false;    // guarded by out_mutex_
    std::size_t peer_max_frame_ = default_max_frame;  // set before accepting_replies_

    // The agent's worker only.
    bool refusing_ = false;                   // reject() was called: no more dispatch
    std::vector<node::inbound_entry> batch_;  // consecutive requests for batch_service_
    std::string_view batch_service_;
    std::chrono::milliseconds peer_heartbeat_{1000};
    log_throttle misaddressed_log_;
    detail::link<agent> link_;  // last: its io_scope calls back into the members above
};

}  // namespace hearth::cluster

#pragma once
// The agent: one per accepted inbound link (Skynet's clusteragent). It runs the acceptor side
// of the handshake (challenge, hello check, welcome or reject), dispatches the peer's calls and
// notifies to local services, and writes their replies on the same socket through a
// coalescing writer.
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
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cluster/cluster.hpp"
#include "cluster/detail/clock_sync.hpp"
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
    bool leave_written() const noexcept { return leave_written_.load(); }

  private:
    awaitable<void> run();
    awaitable<bool> handshake();
    awaitable<void> reader();
    awaitable<void> writer();
    awaitable<void> watchdog();
    void close_link(const std::string& reason);
    void wake_writer();
    void append_heartbeat(clock::time_point now);
    /// Adds a call or notify to the batch for the node (or drops it when misaddressed).
    void collect(const request_frame& r, bool is_call, std::uint64_t call_id, std::uint32_t worker);
    /// Hands the collected requests to the node. Their views point into the decoder's buffer:
    /// this runs before the next read.
    void flush_batch();

    cluster& owner_;
    node& node_;
    asio::any_io_executor ex_;
    std::shared_ptr<spdlog::logger> log_;
    asio::ip::tcp::socket socket_;
    std::string remote_;
    std::string peer_;  // set once by the handshake, before anything reads it from elsewhere

    std::mutex out_mutex_;
    std::string pending_;             // guarded by out_mutex_: encoded replies not yet written
    bool accepting_replies_ = false;  // guarded by out_mutex_
    bool close_after_write_ = false;  // guarded by out_mutex_: pending_ ends with a reject
    std::size_t peer_max_frame_ = default_max_frame;  // set before accepting_replies_
    std::atomic<bool> wake_pending_{false};
    std::atomic<bool> leave_pending_{false};
    std::atomic<bool> leave_written_{false};

    // The agent's worker only.
    bool link_open_ = false;
    bool refusing_ = false;  // reject() was called: no more dispatch
    std::string failure_;
    asio::steady_timer wake_timer_;
    asio::steady_timer watchdog_timer_;
    frame_decoder decoder_;
    std::vector<node::inbound_entry> batch_;  // consecutive requests for batch_service_
    std::string_view batch_service_;
    std::string wbuf_;
    clock::time_point last_read_{}, last_write_{}, last_stamp_{};
    detail::clock_sync clock_sync_;  // the connector's clock: maps call deadlines to ours
    std::chrono::milliseconds heartbeat_{1000};
    std::chrono::milliseconds peer_heartbeat_{1000};
    log_throttle misaddressed_log_;
    hearth::counter* frames_in_ = nullptr;
    hearth::counter* bytes_in_ = nullptr;
    hearth::counter* frames_out_ = nullptr;
    hearth::counter* bytes_out_ = nullptr;
};

}  // namespace hearth::cluster

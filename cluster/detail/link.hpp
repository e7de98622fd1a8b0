#pragma once
// The socket side of one cluster link, written once for both ends: the sender (connector) and
// the agent (acceptor). It owns the socket, the frame decoder, the write buffer, the writer's
// wake-up timer, the watchdog timer and the estimate of the peer's clock, and runs the three
// coroutines of an established link:
//
// - reader: reads into the decoder, hands every frame to the role, handles heartbeats (clock
//   stamps), rejects and unexpected frames itself;
// - writer: coalesces into one write a pending leave, the role's frames and, on a busy link,
//   one heartbeat per interval for the clock stamps (protocol.md 7.1); an idle link writes a
//   heartbeat once per interval and otherwise sleeps until woken (wake(), one post per batch);
// - watchdog: closes a link that read nothing for `silent_intervals` of the peer's heartbeat.
//
// The role is a class `Role` (sender or agent) deriving from enable_shared_from_this and
// befriending link<Role>. What differs between the ends are these members of Role, called
// directly (no virtual call, no allocation per frame):
//
//   bool on_frame(frame& f, clock::time_point now);
//       A frame read on the open link. True: the role handled it. False: the link does
//       (a heartbeat refines the clock estimate; a reject or any other frame closes the link).
//   void on_read_end();        the frames of one read are done (also before the reader closes)
//   void on_clock();           a heartbeat moved the clock estimate
//   void fill_write(std::string& out, clock::time_point now, std::uint64_t& frames);
//       Appends the role's frames to the next write and adds their number to `frames`.
//   void on_idle();            the writer has nothing to write and goes to sleep
//   void on_watchdog(clock::time_point now);   once per peer heartbeat interval, link alive
//   void on_close();           the open link is closing (before the socket is shut down)
//   void on_progress();        a batch was written (with the leave, if one was pending), or a
//                              leave was counted as written with no link open: what a
//                              shutdown step waits for may now hold
//   void on_io_released();     the io_scope ends (after the socket is gone): the role releases
//                              its own io objects and per-socket bookkeeping
//
// Lifetime, the one scheme of both ends: the socket and the timers exist only inside an
// io_scope, which the role opens at the top of its run() coroutine. They are therefore destroyed
// when run() ends, or when the workers' teardown destroys run()'s frame, and always before their
// io_context: the node destroys its workers' io_contexts before it releases the transport (and
// with it every sender and agent), so an io object owned beyond run() would be destroyed after
// its service (a use-after-free the sanitizer build found). A command that arrives when no scope
// is open finds no socket and no timer and does nothing to them.
//
// Threads: everything runs on the link's executor (the role's worker) except wake() and
// leave_written(), which any thread may call.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cluster/detail/clock_sync.hpp"
#include "cluster/detail/link_stream.hpp"
#include "cluster/frame.hpp"
#include "cluster/outcome.hpp"
#include "framework/asio.hpp"

namespace hearth {
class counter;
}

namespace hearth::cluster::detail {

/// The metric counters one end moves (owned by the node's metrics registry, never null).
struct link_counters {
    hearth::counter* frames_in;
    hearth::counter* bytes_in;
    hearth::counter* frames_out;
    hearth::counter* bytes_out;
};

/// The intervals of one established link.
struct link_timing {
    std::chrono::milliseconds heartbeat;       ///< ours: how often an idle link writes
    std::chrono::milliseconds peer_heartbeat;  ///< the peer's, from its hello or welcome
    unsigned silent_intervals;                 ///< peer intervals without a read before closing
};

template <class Role>
class link {
  public:
    using tcp = asio::ip::tcp;

    link(Role& role, asio::any_io_executor ex, link_counters counters) noexcept
        : role_(role), ex_(std::move(ex)), counters_(counters) {}
    link(const link&) = delete;
    link& operator=(const link&) = delete;

    /// The lifetime of the link's io objects (see the file comment). Created by open_io().
    class [[nodiscard]] io_scope {
      public:
        explicit io_scope(link& l) : l_(l) {
            l_.wake_timer_.emplace(l_.ex_);
            l_.watchdog_timer_.emplace(l_.ex_);
        }
        io_scope(const io_scope&) = delete;
        io_scope& operator=(const io_scope&) = delete;
        ~io_scope() {
            l_.release_socket();
            l_.role_.on_io_released();
            l_.wake_timer_.reset();
            l_.watchdog_timer_.reset();
        }

      private:
        link& l_;
    };
    io_scope open_io() { return io_scope(*this); }

    /// A new, unconnected socket for a connection attempt (inside an io_scope).
    tcp::socket& emplace_socket() { return stream_.emplace(ex_).socket(); }
    /// Takes an accepted socket (inside an io_scope).
    void adopt(tcp::socket socket) { stream_.emplace(std::move(socket)); }
    /// Shuts down, closes and destroys the socket (and its TLS state), if there is one.
    void release_socket() noexcept;
    bool has_socket() const noexcept { return stream_.has_value(); }
    /// Precondition: has_socket().
    tcp::socket& socket() noexcept { return stream_->socket(); }
    /// The socket or TLS over it (link_stream.hpp). Precondition: has_socket().
    link_stream& stream() noexcept { return *stream_; }

    frame_decoder& decoder() noexcept { return decoder_; }
    clock_sync& peer_clock() noexcept { return clock_; }
    bool is_open() const noexcept { return open_; }

    /// Forgets what the previous attempt left: its failure, undecoded bytes, clock estimate.
    void reset_for_attempt() noexcept {
        failure_.reset();
        decoder_.reset();
        clock_.reset();
    }
    /// The failure that closed the link or aborted the attempt, if any did.
    const std::optional<failure>& failure_seen() const noexcept { return failure_; }

    /// The established link's life, after a successful handshake: runs reader, writer and
    /// watchdog until all three have exited, and returns why the link closed. A leave belongs to
    /// one link: leave_written() reads false again from here on.
    awaitable<failure> run(link_timing timing);

    /// Closes the open link with `why` (the first reason wins); no-op when it is not open.
    void close(failure why);
    /// Ends the link whatever its stage: closes an open link; otherwise records `why` (the first
    /// reason wins; failure_seen() reports it) and closes the socket, if there is one, of an
    /// attempt still connecting or handshaking.
    void abort(failure why);
    /// The role's last frame (a reject) is in what fill_write() hands over next: once that write
    /// completes the link closes with `why`, and no heartbeat joins that write.
    void close_after_write(failure why) { close_after_write_ = std::move(why); }

    /// Any thread, never blocks: the writer looks for work. One post per batch of calls.
    void wake();
    /// The writer looks for work now (on the worker).
    void wake_here() noexcept {
        if (wake_timer_) wake_timer_->cancel();
    }
    /// On the worker: writes a leave frame at the head of the next write, or, when no link is
    /// open, counts the leave as written (there is nobody to tell).
    void leave();
    /// Any thread: the leave frame of the current link was written.
    bool leave_written() const noexcept { return leave_written_.load(std::memory_order_acquire); }

  private:
    awaitable<void> reader();
    awaitable<void> writer();
    awaitable<void> watchdog();
    void append_heartbeat(clock::time_point now);

    Role& role_;
    asio::any_io_executor ex_;
    link_counters counters_;

    std::atomic<bool> wake_pending_{false};
    std::atomic<bool> leave_written_{false};

    // The worker only.
    std::optional<link_stream> stream_;
    std::optional<asio::steady_timer> wake_timer_;
    std::optional<asio::steady_timer> watchdog_timer_;
    bool open_ = false;
    bool leave_pending_ = false;
    std::optional<failure> failure_;
    std::optional<failure> close_after_write_;
    frame_decoder decoder_;
    std::string wbuf_;
    clock_sync clock_;  // the peer's clock, from the handshake and heartbeats
    link_timing timing_{std::chrono::milliseconds(1000), std::chrono::milliseconds(1000), 3};
    clock::time_point last_read_{}, last_write_{}, last_stamp_{};
};

}  // namespace hearth::cluster::detail

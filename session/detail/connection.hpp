#pragma once
// One client connection of a gate, whatever its transport: the protocol state machine, the
// bounded write queue, the protocol timer, and run(), which awaits the transport's reader and
// writer together and then closes the session once. Private to the session module.
//
// The transports derive from it: tcp_connection<Stream> (tcp_connection.hpp) and
// ws_connection<NextLayer> (ws_connection.hpp). Each supplies reader(), writer() and the two
// socket hooks; the stream type is their template parameter, which is where a TLS stream
// (ssl::stream<tcp::socket>) slots in beside the plain socket.
//
// Threading: a connection lives on one worker (the one its socket was accepted onto); every
// member function below runs on that worker's thread, and so do its coroutines and timers.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "framework/asio.hpp"
#include "framework/call_context.hpp"
#include "rpc/error.hpp"
#include "session/detail/address_lease.hpp"
#include "session/detail/replay_buffer.hpp"
#include "session/detail/token_bucket.hpp"
#include "session/handshake.hpp"
#include "session/packet.hpp"
#include "session/resume.hpp"

namespace hearth {
class worker;
}

namespace hearth::session {

class gate;

namespace detail {

/// The client transports: Pomelo packets over TCP or over TLS (a byte stream), or one packet per
/// WebSocket message over ws or wss.
enum class transport_kind { tcp, ws, tls, wss };

/// TCP and TLS carry a byte stream (packets may be coalesced); WebSocket carries messages.
constexpr bool is_byte_stream(transport_kind k) noexcept {
    return k == transport_kind::tcp || k == transport_kind::tls;
}

/// WebSocket close codes the gate sends (RFC 6455 section 7.4.1).
namespace ws_close {
inline constexpr std::uint16_t normal = 1000;          ///< kicks, refused handshakes
inline constexpr std::uint16_t going_away = 1001;      ///< shutdown, idle and handshake timeouts
inline constexpr std::uint16_t protocol_error = 1002;  ///< the client broke client-protocol.md
inline constexpr std::uint16_t too_big = 1009;         ///< a packet over max_packet_body
}  // namespace ws_close

class connection : public std::enable_shared_from_this<connection> {
  public:
    connection(gate& g, worker& w, std::uint64_t id, transport_kind kind);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    virtual ~connection();

    std::uint64_t id() const noexcept { return id_; }
    transport_kind kind() const noexcept { return kind_; }
    worker& home() const noexcept { return worker_; }
    const std::string& uid() const noexcept { return uid_; }
    std::string remote_address() const { return remote_; }

    /// Registers the session with the gate and starts run() and the protocol timer. Called once,
    /// on the connection's worker, right after construction.
    void start();

    /// One entry of a write queue: a shared packet, or a range of the queue's owned bytes.
    struct out_item {
        std::shared_ptr<const std::string> shared;  // null: bytes [begin, end) of own_
        std::size_t begin = 0;
        std::size_t end = 0;
        std::size_t packets = 1;
    };

    /// Queues a copy of a whole packet (not numbered: heartbeats). False when the session is
    /// closing or was just closed because its write queue overflowed.
    bool send_copy(std::string_view packet);
    /// Queues a packet shared with other sessions (a broadcast); no copy.
    bool send_shared(std::shared_ptr<const std::string> packet);
    /// Queues a Push message (encoded straight into the write queue).
    bool send_push(std::string_view route, std::string_view payload);
    /// Ends the session gracefully: everything already queued, then a Kick packet with
    /// {"reason": reason}, then (WebSocket) a close frame with `ws_code` and the reason or (TCP)
    /// a half-close. Input is read and discarded until the client's EOF or kick_flush_timeout
    /// after the kick, then the socket closes (closing with unread input would make the kernel
    /// reset the connection and discard what the client had not read yet). Idempotent; counts
    /// hearth_gate_kicked_total.
    void kick(std::string_view reason, std::uint16_t ws_code = ws_close::normal);
    /// Closes at once; queued bytes are dropped. Only for clients that do not read (write queue
    /// full) and for the node's final stop. Idempotent.
    /// `resumable`: the transport was lost (EOF, reset, write error, silent client, full write
    /// queue), so a session with resume on parks instead of closing (docs/resume.md).
    void close(std::string_view reason, bool resumable = false);
    void set_uid(std::string uid);

    // ---- session resume (docs/resume.md) ---------------------------------------------------------
    // A resumed session keeps its connection object (call it P: its id, worker, uid, routes,
    // replay buffer); the connection the client came back on (R, any worker) carries it as a
    // relay: R handles the transport (handshake, heartbeats, writes, idle close) and posts the
    // client's Data packets to P; P numbers and buffers its output and posts it to R in batches.
    // Messages between them carry P's relay epoch, so those of a relay that was replaced are
    // ignored.

    /// What P answers a resume attempt.
    enum class resume_outcome { resumed, malformed, unknown, bad_token, too_old, ahead };
    struct resume_verdict {
        resume_outcome outcome = resume_outcome::unknown;
        std::string token;        ///< resumed: the new token
        std::uint64_t epoch = 0;  ///< resumed: the relay's epoch
    };
    /// On P's worker: checks `secret` (constant time) and `received` against the replay buffer;
    /// on success attaches `relay` (closing the connection P had, half-open or not), rotates
    /// the token and waits for relay_acked. A matching token with a bad count closes P for good.
    resume_verdict try_resume(std::string_view secret, std::uint64_t received,
                              std::shared_ptr<connection> relay);
    /// On P's worker, from relay R: the client's HandshakeAck arrived (replay, then live output).
    void relay_acked(std::uint64_t epoch);
    /// On P's worker, from relay R: one Data packet body from the client.
    void relay_data(std::uint64_t epoch, const std::string& body);
    /// On P's worker, from relay R: R's transport ended; P parks again, or ends with
    /// `end_reason` when it is not empty (a logout, a kick or a protocol error on R).
    void relay_lost(std::uint64_t epoch, const std::string& end_reason);
    /// On R's worker, from P: packets to write (own bytes in `own`, ranges in `items`);
    /// `replay`: the packets the client missed, queued whatever the write queue's bounds.
    void relay_write(std::vector<out_item> items, std::string own, bool replay);
    /// Parked since (a session waiting for its client), or nullopt.
    std::optional<clock::time_point> parked_since() const noexcept {
        if (link_ == link::parked) return parked_at_;
        return std::nullopt;
    }
    /// Keeps the client address's per-address slot until the session closes. Before start().
    void hold_address(address_lease lease) noexcept { address_lease_ = std::move(lease); }

  protected:
    /// The transport's read loop: read_packets() over its stream, then whatever its end of input
    /// means (close, or let a kick finish flushing). Returns when the session is closed or the
    /// input ended. An exception is logged by run() and closes the session.
    virtual awaitable<void> reader() = 0;
    /// The transport's write loop: takes the write queue (take_queue) and writes it until the
    /// session is closed; after a kick, once the queue is empty, ends the output (TCP: the
    /// half-close of on_flushed_after_kick; WebSocket: a close frame) and returns.
    virtual awaitable<void> writer() = 0;

    // What the reader does after a packet.
    enum class next_step { more, validate, stop };

    /// Handles one decoded packet; may ask the reader to run the async validator.
    next_step on_packet(const packet& p);
    awaitable<void> run_validator();
    void on_protocol_error(std::error_code ec);
    /// The client ended the session on purpose (a WebSocket close frame with code 1000): not a
    /// lost connection, so no parking.
    void on_logout() noexcept { logout_ = true; }
    void on_bytes_in(std::size_t n);
    /// Anything arrived from the client (a packet's bytes, a WebSocket ping/pong/close frame):
    /// the session is alive.
    void note_inbound();
    /// The graceful close behind kick(): `kick_packet` false for handshake refusals, whose
    /// handshake reply already says why.
    void end_gracefully(std::string_view reason, std::uint16_t ws_code, bool kick_packet);

    /// The read loop both transports share: read up to `chunk` bytes into the packet decoder and
    /// handle every complete packet; once the session is ending gracefully, read and discard
    /// until the client's EOF. Returns on a read error (EOF included) or a close.
    /// (A WebSocket is read as a byte stream: a message may carry several packets, and a packet
    /// split across messages is reassembled by the decoder.)
    template <class Stream>
    awaitable<void> read_packets(Stream& stream, std::size_t chunk);

    /// Shuts the sending side of the socket (TCP half-close). A TLS stream would send its
    /// close_notify first.
    virtual void shutdown_send() = 0;
    /// Shuts both sides and closes the socket, at once (close()); pending operations fail.
    virtual void shutdown_and_close() = 0;
    /// The writer calls this when the write queue is empty after a kick was flushed.
    void on_flushed_after_kick();

    /// Write queue access for the writers.
    bool queue_empty() const noexcept { return items_.empty(); }
    /// Moves the queue into (items, own) for writing; the caller clears them afterwards.
    void take_queue(std::vector<out_item>& items, std::string& own);
    void written(std::size_t bytes, std::size_t packets);
    awaitable<void> wait_for_output();

    packet_decoder decoder_;  // inbound bytes of this session (read_packets)
    bool stopped_ = false;    // close() ran: the socket is shut
    bool kicking_ = false;    // ending gracefully: no more output, close once flushed and drained
    bool flushed_ = false;    // the kick is written and the send side shut
    std::uint16_t ws_close_code_ = ws_close::normal;  // the close frame that follows the flush
    std::string ws_close_reason_;                     // at most 123 bytes (RFC 6455 5.5)
    gate& gate_;
    worker& worker_;
    std::string remote_;

  private:
    enum class state { awaiting_handshake, validating, awaiting_ack, working };
    /// What became of a packet offered to the write queue.
    enum class queued { yes, closing, not_encoded };
    /// Why a request or notify cannot be routed: the client error code (from rpc::errc through
    /// client_error_code, session/error.hpp) and its sentence.
    struct refusal {
        rpc::errc code = rpc::errc::not_found;
        std::string message;
    };

    /// The session's whole life: reader() and writer() awaited together, then the close and the
    /// gate's bookkeeping, exactly once.
    static awaitable<void> run(std::shared_ptr<connection> self);
    /// A loop ended with an exception: logged, and the session closed (so the other loop ends).
    void loop_failed(const char* loop, std::exception_ptr e);

    bool reserve(std::size_t bytes);
    /// Queues own_[begin, end) as one packet, joined to the previous range where the transport
    /// allows (byte streams).
    void queue_owned(std::size_t begin);
    void wake_writer();
    /// Output is refused: the session ended or is ending, or its own transport is closed.
    bool refusing_output() const noexcept {
        return ended_ || final_ || kicking_ || (link_ == link::own && stopped_);
    }
    /// Numbers a Response or Push (already appended to own_ from `begin` when `queued`, else
    /// in `packet`) into the replay buffer. False when that closed the session (parked and the
    /// buffer is over its bounds).
    bool number(std::string_view packet);
    bool number(std::shared_ptr<const std::string> packet);
    bool after_numbering();
    bool can_park() const noexcept;
    void park();
    /// The session closes for good: session_closed, exactly once. May destroy this connection
    /// (the caller holds a reference).
    void end_session(std::string_view reason);
    /// run()'s end, after the transport is closed: what becomes of the session.
    void transport_ended();
    /// P, relayed: posts what is queued to the relay (`replay`: the replay after the ack).
    void pump(bool replay = false);
    void schedule_pump();
    /// R: the resume attempt of a handshake; true when it resumed a session.
    awaitable<bool> attempt_resume();
    void arm_timer();
    /// Appends an owned packet that `encode(std::string&)` (returning std::error_code) appends to
    /// own_; checks the bounds. `closing` when the session is closing or was just closed by the
    /// bounds; `not_encoded` (nothing queued) when the encoder failed.
    /// `numbered`: a Response or Push (counted in the replay buffer when resume is on).
    template <class Encode>
    queued append_owned(Encode encode, bool numbered = false);
    /// Queues a Handshake reply; a reply that cannot be encoded is logged and closes the session.
    bool send_handshake_reply(const std::string& body);
    /// Accepts the handshake: replies with heartbeat (and dictionary), then awaits the ack.
    void accept_handshake();
    /// Refuses the handshake: replies {"code": code, "message": message}, then ends the session
    /// gracefully with `reason` (no Kick: the reply says why) and WebSocket close code `ws_code`.
    void refuse_handshake(int code, std::string_view message, std::string_view reason, std::uint16_t ws_code);
    void on_timer();
    /// Queues a Heartbeat unless one is already waiting for the writer.
    void send_heartbeat();
    void handle_data(std::string_view body);
    void start_request(std::uint64_t msg_id, std::string_view route, std::string_view payload);
    void start_notify(std::string_view route, std::string_view payload);
    bool take_token();
    /// Queues the one Response of request `msg_id`. A payload too large to encode is logged and
    /// answered with an "internal" error Response instead, so the client still gets its answer.
    void send_response(std::uint64_t msg_id, std::string_view payload, bool error);
    void send_error(std::uint64_t msg_id, const refusal& why);
    /// The address that serves `service` for this session, or why there is none.
    bool resolve(std::string_view service, std::string& address, refusal& why);
    /// resolve() for a route "service.method".
    bool resolve_route(std::string_view route, std::string& address, refusal& why);
    void remember_served(const std::string& address);
    std::shared_ptr<const client_origin> origin();

    const std::uint64_t id_;
    const transport_kind kind_;
    state state_ = state::awaiting_handshake;

    // Write queue: items in order; owned bytes live in own_.
    std::vector<out_item> items_;
    std::string own_;
    std::size_t queued_bytes_ = 0;
    std::size_t queued_packets_ = 0;
    bool writer_waiting_ = false;
    asio::steady_timer wake_;
    // run()'s join: the writer coroutine is alive; joined_ wakes run() when it ends.
    bool writer_running_ = false;
    asio::steady_timer joined_;

    // Protocol timer: handshake deadline, heartbeats, idle close, kick flush deadline.
    asio::steady_timer timer_;
    clock::time_point accepted_at_;
    clock::time_point last_inbound_;
    clock::time_point next_heartbeat_;  // when we send one on our own if none went out meanwhile
    bool heartbeat_queued_ = false;     // a Heartbeat is queued and not yet taken by the writer

    handshake_request pending_handshake_;

    std::string uid_;
    std::shared_ptr<const client_origin> origin_;
    std::vector<std::pair<std::string, std::string>> sticky_;  // service -> node
    std::vector<std::string> served_;                          // "service@node" addresses that served us

    std::optional<token_bucket> requests_;  // rate_limit: made on the first request or notify
    std::string close_reason_;
    address_lease address_lease_;  // given back when the session closes (run())

    // ---- resume ----------------------------------------------------------------------------------
    // Where the session's output goes: its own transport, nowhere (parked: numbered packets only
    // into the replay buffer), or a relay (another connection carries the session).
    enum class link { own, parked, relayed };
    link link_ = link::own;
    bool final_ = false;   // the session ends with its current transport (kick, protocol error, stop)
    bool ended_ = false;   // end_session ran
    bool logout_ = false;  // the client closed on purpose (on_logout)
    bool live_ = true;  // numbered packets go to the write queue too (not while parked or before the replay)
    std::unique_ptr<replay_buffer> replay_;  // resume on and the handshake accepted
    std::string secret_;                     // of the current resume token
    clock::time_point parked_at_;
    std::shared_ptr<connection> relay_;  // P, relayed: the connection carrying us
    std::uint64_t relay_epoch_ = 0;      // P: bumped at each attach
    std::uint64_t replay_from_ = 0;      // P, relayed before the ack: what the client had
    bool pump_posted_ = false;           // P: a pump() is queued on our worker
    std::size_t replay_bytes_ = 0;       // R: the part of queued_bytes_ that is the replay
    std::size_t replay_packets_ = 0;     // R: and of queued_packets_
    // R: the session this connection carries (relay role) and its epoch.
    std::shared_ptr<connection> session_;
    std::uint64_t session_epoch_ = 0;
    resume_request_status resume_status_ = resume_request_status::absent;
    resume_request resume_request_;
};

template <class Stream>
awaitable<void> connection::read_packets(Stream& stream, std::size_t chunk) {
    packet p;
    std::error_code perr;
    for (;;) {
        char* buf = decoder_.prepare(chunk);
        auto [ec, n] =
            co_await stream.async_read_some(asio::buffer(buf, chunk), asio::as_tuple(asio::use_awaitable));
        if (ec || stopped_) co_return;
        on_bytes_in(n);
        // Ending gracefully: read only to see the client's EOF; the bytes are dropped uncommitted.
        if (kicking_) continue;
        decoder_.commit(n);
        while (!kicking_ && !stopped_ && decoder_.next(p, perr)) {
            if (on_packet(p) == next_step::validate) co_await run_validator();
        }
        if (perr && !kicking_ && !stopped_) on_protocol_error(perr);
        if (stopped_) co_return;
    }
}

}  // namespace detail
}  // namespace hearth::session

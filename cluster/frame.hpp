#pragma once
// The inter-node frame format (docs/protocol.md is the normative description; change the two
// together). Every frame is
//
//     u32 length (big-endian, counts the type byte and the body) | u8 type | body
//
// Encoding appends to a caller-owned std::string so a writer can coalesce many frames into one
// buffer. Decoding is a streaming frame_decoder fed with byte chunks.
//
// Frames hold string_views. When encoding, they point at the caller's data and must stay valid
// for the call. When decoding, they point into the decoder's buffer (see frame_decoder).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cluster/config.hpp"
#include "cluster/hmac.hpp"
#include "cluster/outcome.hpp"
#include "rpc/codec.hpp"
#include "rpc/error.hpp"

namespace hearth::cluster {

/// The protocol version this build speaks (hello/welcome/challenge carry it).
inline constexpr std::uint16_t protocol_version = 2;

/// Bytes before the body: the u32 length and the u8 type.
inline constexpr std::size_t frame_header_size = 5;

/// Field limits, enforced by encode (error or truncation, see each field) and decode (malformed).
inline constexpr std::size_t max_service_name = 128;  ///< service names (same rule as the framework)
inline constexpr std::size_t max_route = 256;         ///< "service.method"
inline constexpr std::size_t max_uid = 256;           ///< client uid in an origin
inline constexpr std::size_t max_app_code = 128;      ///< application error code in a reply
inline constexpr std::size_t max_text = 4096;      ///< reply message, reject text, leave reason (truncated)
inline constexpr std::size_t max_services = 4096;  ///< services listed in hello / welcome
inline constexpr std::size_t nonce_size = 32;

using nonce = std::array<std::uint8_t, nonce_size>;

enum class frame_type : std::uint8_t {
    challenge = 1,  ///< acceptor → connector, first frame on a link: version + nonce
    hello = 2,      ///< connector → acceptor: identity, services, proof over the challenge
    welcome = 3,    ///< acceptor → connector: identity, services, proof over the hello nonce
    reject = 4,     ///< either way: an errc code and a sentence, then the sender closes
    call = 5,       ///< a request that expects a reply on the same link
    reply = 6,      ///< the answer to a call
    notify = 7,     ///< a one-way request
    heartbeat = 8,  ///< sent on an idle link; no body
    leave = 9,      ///< the sender is shutting down gracefully
};

/// "challenge", "hello", ...; "unknown" for other values.
std::string_view to_string(frame_type t) noexcept;

/// Clock stamps, in microseconds of the writer's monotonic clock, from which each side of a
/// link estimates the other's clock (docs/protocol.md section 7.1, detail/clock_sync.hpp).
struct time_stamps {
    std::uint64_t echo = 0;           ///< `sent` of the last stamped frame read from the peer; 0 = none
    std::uint64_t echo_received = 0;  ///< when that frame was read
    std::uint64_t sent = 0;           ///< when this frame was written; 0 = no stamp (ignored)
    friend bool operator==(const time_stamps&, const time_stamps&) = default;
};

/// Decoding rule for challenge, hello and welcome: when the version is not protocol_version,
/// only the version is decoded (the rest of the body may have another layout), so the
/// handshake answers version_mismatch rather than malformed_frame.
struct challenge_frame {
    std::uint16_t version = protocol_version;
    std::uint64_t time = 0;  ///< the acceptor's clock when it wrote the challenge (µs)
    hearth::cluster::nonce nonce{};
};

struct hello_frame {
    std::uint16_t version = protocol_version;
    rpc::codec codec = rpc::codec::json;     ///< the codec of every payload on this link
    std::uint32_t max_frame = 0;             ///< the largest frame the connector accepts
    std::uint32_t heartbeat_ms = 0;          ///< the connector sends something at least this often
    std::uint64_t sender_incarnation = 0;    ///< random per process start, never 0
    time_stamps stamps;                      ///< echo = the challenge's time
    hearth::cluster::nonce nonce{};          ///< the connector's challenge to the acceptor
    std::string_view cluster;                ///< cluster name
    std::string_view sender_node;            ///< who is connecting
    std::string_view target_node;            ///< who the connector believes it reached
    std::vector<std::string_view> services;  ///< services the connector hosts
    digest proof{};                          ///< handshake.hpp: hello_proof()
};

struct welcome_frame {
    std::uint16_t version = protocol_version;
    std::uint32_t max_frame = 0;             ///< the largest frame the acceptor accepts
    std::uint32_t heartbeat_ms = 0;          ///< the acceptor sends something at least this often
    std::uint64_t node_incarnation = 0;      ///< the acceptor's incarnation, never 0
    time_stamps stamps;                      ///< echo = the hello's sent stamp
    std::string_view node;                   ///< the acceptor's node name
    std::vector<std::string_view> services;  ///< services the acceptor hosts
    digest proof{};                          ///< handshake.hpp: welcome_proof()
};

struct reject_frame {
    errc code = errc::handshake_failed;  ///< decode accepts only defined errc values
    std::string_view text;               ///< a sentence for the peer's log; truncated to max_text
};

/// Where a request came from when a client session caused it (gate node, session, uid).
struct client_origin {
    std::string_view gate_node;
    std::uint64_t session_id = 0;
    std::string_view uid;  ///< empty when the session is not bound
    friend bool operator==(const client_origin&, const client_origin&) = default;
};

/// The fields call and notify share.
struct request_frame {
    std::string_view target_node;          ///< must be the receiver's node name
    std::uint64_t target_incarnation = 0;  ///< must be the receiver's incarnation (from welcome)
    /// The caller's deadline in the sender's clock (µs, like time_stamps); 0 = none. The
    /// receiver maps it to its own clock with the link's clock estimate.
    std::uint64_t deadline = 0;
    std::string_view source_service;      ///< may be empty (a call from outside any service)
    std::string_view target_service;      ///< non-empty
    std::string_view route;               ///< "service.method", non-empty
    std::optional<client_origin> origin;  ///< present when a client session caused it
    std::string_view payload;             ///< encoded by the link's codec
};

struct call_frame : request_frame {
    std::uint64_t call_id = 0;          ///< the caller's id, echoed in the reply
    std::uint32_t reply_to_worker = 0;  ///< the caller's worker, echoed in the reply
};

struct notify_frame : request_frame {};

struct reply_frame {
    std::uint64_t call_id = 0;
    std::uint32_t reply_to_worker = 0;
    /// nullopt = success; otherwise the rpc error (decode accepts only defined rpc::errc values).
    std::optional<rpc::errc> status;
    std::string_view app_code;  ///< with remote_error: the handler's code
    std::string_view message;   ///< error message, truncated to max_text
    std::string_view payload;   ///< the encoded response on success, else usually empty
};

struct heartbeat_frame {
    time_stamps stamps;
};

struct leave_frame {
    std::string_view reason;  ///< truncated to max_text
};

using frame = std::variant<challenge_frame, hello_frame, welcome_frame, reject_frame, call_frame, reply_frame,
                           notify_frame, heartbeat_frame, leave_frame>;

frame_type type_of(const frame& f) noexcept;

/// Appends one frame to `out`. Fails, leaving `out` exactly as it was, with frame_too_large when
/// the frame would exceed `max_frame` bytes (length field value), or malformed_frame when a
/// name, route, uid, app code or the service list exceeds its limit or a required field is
/// empty. Texts longer than max_text are truncated at a UTF-8 character boundary, not refused.
/// Never throws except std::bad_alloc.
outcome<void> encode(const frame& f, std::string& out, std::size_t max_frame = default_max_frame);
outcome<void> encode(const call_frame& f, std::string& out, std::size_t max_frame = default_max_frame);
outcome<void> encode(const notify_frame& f, std::string& out, std::size_t max_frame = default_max_frame);
outcome<void> encode(const reply_frame& f, std::string& out, std::size_t max_frame = default_max_frame);
/// A notify frame carrying the request fields of `f` (e.g. of a call_frame being built).
outcome<void> encode_notify(const request_frame& f, std::string& out,
                            std::size_t max_frame = default_max_frame);

/// Appends the hello's fields in wire order without the proof: the part the proof signs.
void append_signed_part(const hello_frame& f, std::string& out);
/// Appends the welcome's fields in wire order without the proof.
void append_signed_part(const welcome_frame& f, std::string& out);

/// A streaming decoder: feed it bytes as they arrive, take whole frames out.
///
///     auto buf = decoder.prepare(64 * 1024);
///     auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf.data(), buf.size()), ...);
///     decoder.commit(n);
///     while (true) { auto f = decoder.next(); if (!f) fail; if (!*f) break; dispatch(**f); }
///
/// Guarantees: never reads outside the bytes given to it; never allocates more than the bytes
/// actually fed plus the space asked for in prepare() (an announced length is checked against
/// max_frame before anything else, and no buffer is sized from it); every input either yields
/// frames, waits for more bytes, or fails with frame_too_large, unknown_frame_type or
/// malformed_frame and a message naming the field. A failure is sticky: the byte stream has
/// lost its framing, so every later next() returns the same failure until reset().
///
/// The views inside a returned frame point into the decoder's buffer and stay valid until the
/// next prepare(), feed() or reset() (so all frames of one read can be decoded, then used).
/// Not thread-safe.
class frame_decoder {
  public:
    explicit frame_decoder(std::size_t max_frame = default_max_frame) noexcept : max_frame_(max_frame) {}

    /// Changes the limit for frames not yet decoded (e.g. after reading the peer's hello).
    void set_max_frame(std::size_t max_frame) noexcept { max_frame_ = max_frame; }
    std::size_t max_frame() const noexcept { return max_frame_; }

    /// Writable space of exactly `size` bytes at the end of the buffer; commit() what was written.
    std::span<char> prepare(std::size_t size);
    /// Marks `size` bytes of the last prepare() as filled. Precondition: size <= that span's size.
    void commit(std::size_t size) noexcept;
    /// prepare + copy + commit.
    void feed(std::string_view bytes);

    /// The next whole frame; nullopt when more bytes are needed; a failure (sticky) when the
    /// stream is invalid.
    outcome<std::optional<frame>> next();

    /// Bytes received but not yet returned as frames.
    std::size_t buffered() const noexcept { return end_ - begin_; }
    bool failed() const noexcept { return failure_.has_value(); }
    /// Forgets all bytes and any failure.
    void reset() noexcept;

  private:
    std::string buffer_;
    std::size_t begin_ = 0;     // first unconsumed byte
    std::size_t end_ = 0;       // one past the last committed byte
    std::size_t prepared_ = 0;  // size of the last prepare()
    std::size_t max_frame_;
    std::optional<failure> failure_;
};

/// Decodes the body of one frame of type `type` (the bytes after the type byte). Used by
/// frame_decoder; exposed for tests and tools. Same failure rules as frame_decoder::next().
outcome<frame> decode_body(std::uint8_t type, std::string_view body);

}  // namespace hearth::cluster

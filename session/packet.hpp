#pragma once
// Packet framing of the client protocol (client-protocol.md section 1):
//
//   +--------+-----------------------------+------------------+
//   | type   | length (uint24, big-endian) | body (length B)  |
//   +--------+-----------------------------+------------------+
//
// Encoding appends to a caller-owned std::string, so a reused buffer costs no allocation per
// packet. packet_decoder is a streaming decoder for TCP reads and WebSocket messages alike.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "session/error.hpp"

namespace hearth::session {

enum class packet_type : std::uint8_t {
    handshake = 1,      ///< C->S request and S->C reply; JSON body
    handshake_ack = 2,  ///< C->S; empty body
    heartbeat = 3,      ///< both ways; empty body
    data = 4,           ///< both ways; body is a message (session/message.hpp)
    kick = 5,           ///< S->C; JSON body, never empty
};

/// True for the five types of the contract.
constexpr bool is_valid(packet_type t) noexcept {
    return static_cast<std::uint8_t>(t) >= 1 && static_cast<std::uint8_t>(t) <= 5;
}

/// "handshake", "handshake_ack", "heartbeat", "data", "kick" or "unknown".
std::string_view to_string(packet_type t) noexcept;

inline constexpr std::size_t packet_header_size = 4;
/// The default maximum body size; a larger announced length is a protocol error.
inline constexpr std::size_t default_max_packet_body = 64 * 1024;
/// The largest body the 24-bit length field can carry.
inline constexpr std::size_t max_packet_body_limit = (std::size_t{1} << 24) - 1;

/// The two bodiless packets, ready to send (and to share between sessions).
inline constexpr std::string_view heartbeat_packet{"\x03\x00\x00\x00", 4};
inline constexpr std::string_view handshake_ack_packet{"\x02\x00\x00\x00", 4};

/// A decoded packet. `body` points into the decoder's buffer (or the fed chunk) and is valid
/// only as long as the decoder's documentation says.
struct packet {
    packet_type type{};
    std::string_view body;
};

/// Appends header and body to `out`. Returns packet_too_large (and leaves `out` unchanged) when
/// body.size() > max_packet_body_limit.
[[nodiscard]] std::error_code encode_packet(std::string& out, packet_type type, std::string_view body);

/// In-place building of a packet whose body is produced by other encoders (e.g. a Data packet
/// around a message): begin_packet appends a header with length 0 and returns its offset;
/// append the body; finish_packet patches the length. finish_packet returns packet_too_large
/// and truncates `out` back to `offset` when the body exceeds max_packet_body_limit.
std::size_t begin_packet(std::string& out, packet_type type);
[[nodiscard]] std::error_code finish_packet(std::string& out, std::size_t offset);

/// Streaming packet decoder: feed it bytes in chunks of any size (packets split across chunks,
/// many packets in one chunk) and take every complete packet out.
///
/// Two ways to use it:
/// - Zero-copy read path: `auto buf = prepare(n)`, read into it, `commit(bytes_read)`, then
///   call `next()` until it returns false. Bodies stay valid until the next prepare(), feed()
///   or reset(). Call next() until it returns false before the next prepare(): buffered bytes
///   are then below one packet (header + max body) plus n.
/// - Chunk path: `feed(chunk, handler)` calls handler(packet) for every complete packet;
///   bodies are valid only during the call. Complete packets in the chunk are decoded in place
///   when nothing is buffered (no copy); only a trailing partial packet is copied.
///
/// The first protocol error (unknown_packet_type as soon as the type byte arrives,
/// packet_too_large as soon as the length arrives) is sticky: every later call returns it.
/// Memory grows with the bytes actually received, never with an announced length.
/// Not thread-safe: one decoder per connection, used on that connection's executor.
class packet_decoder {
  public:
    /// max_body is clamped to max_packet_body_limit.
    explicit packet_decoder(std::size_t max_body = default_max_packet_body) noexcept;

    /// A moved-from decoder is empty and usable (no buffer, no error).
    packet_decoder(packet_decoder&& other) noexcept;
    packet_decoder& operator=(packet_decoder&& other) noexcept;

    std::size_t max_body() const noexcept { return max_body_; }

    /// A writable region of at least n bytes at the end of the buffered data.
    char* prepare(std::size_t n);
    /// Marks n bytes of the prepared region as received. Precondition: n <= the prepared size.
    void commit(std::size_t n) noexcept { end_ += n; }

    /// Takes the next complete packet. Returns true and sets `out` when one is buffered; returns
    /// false when more bytes are needed (ec cleared) or on a protocol error (ec set).
    bool next(packet& out, std::error_code& ec) noexcept;

    /// Decodes every complete packet of `chunk` (plus what was buffered) and calls
    /// handler(const packet&) for each. Returns the first protocol error, or {}; after an error
    /// no more packets are delivered.
    template <class Handler>
    std::error_code feed(std::string_view chunk, Handler&& handler);

    /// The sticky error, if any.
    std::error_code error() const noexcept { return error_; }
    /// Bytes received but not yet returned as packets.
    std::size_t buffered() const noexcept { return end_ - begin_; }
    /// Forgets buffered bytes and a sticky error; keeps the buffer's memory.
    void reset() noexcept;

  private:
    // Checks the packet at [p, p + avail): returns the total packet size when complete, 0 when
    // more bytes are needed, and sets error_ on a protocol error.
    std::size_t check(const char* p, std::size_t avail) noexcept;

    // Bytes still missing for the packet at the front of the buffer (its header first).
    std::size_t missing() const noexcept;

    std::unique_ptr<char[]> buf_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;  // first unread byte
    std::size_t end_ = 0;    // one past the last received byte
    std::size_t max_body_;
    std::error_code error_;
};

template <class Handler>
std::error_code packet_decoder::feed(std::string_view chunk, Handler&& handler) {
    if (error_) return error_;
    packet p;
    std::error_code ec;
    // Complete the buffered partial packet from the chunk, copying no more than it needs.
    while (begin_ != end_ && !chunk.empty()) {
        const std::size_t n = std::min(chunk.size(), missing());
        std::char_traits<char>::copy(prepare(n), chunk.data(), n);
        commit(n);
        chunk.remove_prefix(n);
        while (next(p, ec)) handler(static_cast<const packet&>(p));
        if (ec) return ec;
    }
    if (begin_ != end_) return {};  // chunk used up inside a partial packet
    // Nothing buffered: decode complete packets straight from the chunk.
    while (!chunk.empty()) {
        const std::size_t total = check(chunk.data(), chunk.size());
        if (error_) return error_;
        if (total == 0) break;
        p.type = static_cast<packet_type>(static_cast<unsigned char>(chunk[0]));
        p.body = chunk.substr(packet_header_size, total - packet_header_size);
        chunk.remove_prefix(total);
        handler(static_cast<const packet&>(p));
    }
    if (!chunk.empty()) {
        char* dst = prepare(chunk.size());
        std::char_traits<char>::copy(dst, chunk.data(), chunk.size());
        commit(chunk.size());
    }
    return {};
}

}  // namespace hearth::session

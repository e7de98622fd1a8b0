#include "session/packet.hpp"

#include <cstring>
#include <utility>

namespace hearth::session {
namespace {

constexpr std::size_t min_capacity = 4096;

std::size_t read_length(const char* p) noexcept {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return (std::size_t{u[1]} << 16) | (std::size_t{u[2]} << 8) | std::size_t{u[3]};
}

void write_length(char* p, std::size_t n) noexcept {
    p[1] = static_cast<char>((n >> 16) & 0xff);
    p[2] = static_cast<char>((n >> 8) & 0xff);
    p[3] = static_cast<char>(n & 0xff);
}

}  // namespace

std::string_view to_string(packet_type t) noexcept {
    switch (t) {
        case packet_type::handshake:
            return "handshake";
        case packet_type::handshake_ack:
            return "handshake_ack";
        case packet_type::heartbeat:
            return "heartbeat";
        case packet_type::data:
            return "data";
        case packet_type::kick:
            return "kick";
    }
    return "unknown";
}

std::error_code encode_packet(std::string& out, packet_type type, std::string_view body) {
    if (body.size() > max_packet_body_limit) return errc::packet_too_large;
    char header[packet_header_size] = {static_cast<char>(type), 0, 0, 0};
    write_length(header, body.size());
    out.append(header, packet_header_size);
    out.append(body);
    return {};
}

std::size_t begin_packet(std::string& out, packet_type type) {
    const std::size_t offset = out.size();
    out.push_back(static_cast<char>(type));
    out.append(3, '\0');
    return offset;
}

std::error_code finish_packet(std::string& out, std::size_t offset) {
    const std::size_t body = out.size() - offset - packet_header_size;
    if (body > max_packet_body_limit) {
        out.resize(offset);
        return errc::packet_too_large;
    }
    write_length(out.data() + offset, body);
    return {};
}

packet_decoder::packet_decoder(std::size_t max_body) noexcept
    : max_body_(std::min(max_body, max_packet_body_limit)) {}

packet_decoder::packet_decoder(packet_decoder&& other) noexcept
    : buf_(std::move(other.buf_)),
      capacity_(std::exchange(other.capacity_, 0)),
      begin_(std::exchange(other.begin_, 0)),
      end_(std::exchange(other.end_, 0)),
      max_body_(other.max_body_),
      error_(std::exchange(other.error_, {})) {}

packet_decoder& packet_decoder::operator=(packet_decoder&& other) noexcept {
    if (this != &other) {
        buf_ = std::move(other.buf_);
        capacity_ = std::exchange(other.capacity_, 0);
        begin_ = std::exchange(other.begin_, 0);
        end_ = std::exchange(other.end_, 0);
        max_body_ = other.max_body_;
        error_ = std::exchange(other.error_, {});
    }
    return *this;
}

char* packet_decoder::prepare(std::size_t n) {
    if (begin_ == end_) begin_ = end_ = 0;
    if (capacity_ - end_ >= n) return buf_.get() + end_;
    const std::size_t live = end_ - begin_;
    // Compact only when the tail is too short: with every complete packet drained before the
    // next read, what moves is at most one partial packet, and usually nothing moves at all.
    if (live + n <= capacity_) {
        std::memmove(buf_.get(), buf_.get() + begin_, live);
    } else {
        // Grow with the bytes actually arriving (never with an announced length), doubling so
        // that a large packet arriving in small reads costs O(log n) reallocations.
        const std::size_t capacity = std::max({live + n, capacity_ * 2, min_capacity});
        auto grown = std::make_unique_for_overwrite<char[]>(capacity);
        if (live > 0) std::memcpy(grown.get(), buf_.get() + begin_, live);
        buf_ = std::move(grown);
        capacity_ = capacity;
    }
    begin_ = 0;
    end_ = live;
    return buf_.get() + end_;
}

std::size_t packet_decoder::check(const char* p, std::size_t avail) noexcept {
    if (avail == 0) return 0;
    // The type is checked as soon as its byte arrives, so garbage is refused without waiting.
    if (!is_valid(static_cast<packet_type>(static_cast<unsigned char>(p[0])))) {
        error_ = errc::unknown_packet_type;
        return 0;
    }
    if (avail < packet_header_size) return 0;
    const std::size_t length = read_length(p);
    if (length > max_body_) {
        error_ = errc::packet_too_large;
        return 0;
    }
    if (avail - packet_header_size < length) return 0;
    return packet_header_size + length;
}

bool packet_decoder::next(packet& out, std::error_code& ec) noexcept {
    if (!error_) {
        const std::size_t total = check(buf_.get() + begin_, buffered());
        if (total != 0) {
            ec.clear();
            out.type = static_cast<packet_type>(static_cast<unsigned char>(buf_[begin_]));
            out.body = std::string_view{buf_.get() + begin_ + packet_header_size, total - packet_header_size};
            begin_ += total;
            // Rewinding costs nothing (no bytes move) and keeps the next read at the front.
            if (begin_ == end_) begin_ = end_ = 0;
            return true;
        }
    }
    ec = error_;
    return false;
}

std::size_t packet_decoder::missing() const noexcept {
    const std::size_t have = buffered();
    if (have < packet_header_size) return packet_header_size - have;
    const std::size_t total = packet_header_size + read_length(buf_.get() + begin_);
    return total > have ? total - have : 0;
}

void packet_decoder::reset() noexcept {
    begin_ = end_ = 0;
    error_.clear();
}

}  // namespace hearth::session

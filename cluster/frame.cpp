#include "cluster/frame.hpp"

#include <cstring>
#include <limits>

namespace hearth::cluster {
namespace {

// ---- encoding ------------------------------------------------------------------------------

void put_u8(std::string& out, std::uint8_t v) {
    out.push_back(static_cast<char>(v));
}
void put_u16(std::string& out, std::uint16_t v) {
    const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    out.append(b, 2);
}
void put_u32(std::string& out, std::uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
    out.append(b, 4);
}
void put_u64(std::string& out, std::uint64_t v) {
    put_u32(out, static_cast<std::uint32_t>(v >> 32));
    put_u32(out, static_cast<std::uint32_t>(v));
}
void put_raw(std::string& out, const std::uint8_t* data, std::size_t size) {
    out.append(reinterpret_cast<const char*>(data), size);
}
// Strings carry a u16 length; callers check the field limit (always < 65536) first.
void put_str(std::string& out, std::string_view s) {
    put_u16(out, static_cast<std::uint16_t>(s.size()));
    out.append(s);
}

// Writes big-endian fields into space the caller has sized exactly.
struct cursor {
    char* p;
    void u8(std::uint8_t v) noexcept { *p++ = static_cast<char>(v); }
    void u16(std::uint16_t v) noexcept {
        p[0] = static_cast<char>(v >> 8);
        p[1] = static_cast<char>(v);
        p += 2;
    }
    void u32(std::uint32_t v) noexcept {
        for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (24 - 8 * i));
        p += 4;
    }
    void u64(std::uint64_t v) noexcept {
        u32(static_cast<std::uint32_t>(v >> 32));
        u32(static_cast<std::uint32_t>(v));
    }
    void raw(std::string_view s) noexcept {
        if (!s.empty()) std::memcpy(p, s.data(), s.size());
        p += s.size();
    }
    // Strings carry a u16 length; callers check the field limit (always < 65536) first.
    void str(std::string_view s) noexcept {
        u16(static_cast<std::uint16_t>(s.size()));
        raw(s);
    }
};

// Cuts `s` to at most `limit` bytes without splitting a UTF-8 sequence, so a truncated error
// message is still valid text for a JSON client error.
std::string_view truncate_utf8(std::string_view s, std::size_t limit) noexcept {
    if (s.size() <= limit) return s;
    std::size_t n = limit;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

// Builds one frame in place: writes a length placeholder, lets the caller append the body, then
// patches the length or rolls `out` back on failure.
class frame_builder {
  public:
    frame_builder(std::string& out, frame_type type, std::size_t max_frame)
        : out_(out), start_(out.size()), max_frame_(max_frame) {
        put_u32(out_, 0);
        put_u8(out_, static_cast<std::uint8_t>(type));
    }

    std::string& out() { return out_; }
    std::size_t max_frame() const { return max_frame_; }

    outcome<void> fail(errc code, std::string message) {
        out_.resize(start_);
        return failure{code, std::move(message)};
    }

    outcome<void> finish() {
        const std::size_t length = out_.size() - start_ - 4;
        if (length > max_frame_ || length > std::numeric_limits<std::uint32_t>::max())
            return fail(errc::frame_too_large, "The frame would be " + std::to_string(length) +
                                                   " bytes, more than the limit of " +
                                                   std::to_string(max_frame_) + " bytes.");
        for (int i = 0; i < 4; ++i) out_[start_ + i] = static_cast<char>(length >> (24 - 8 * i));
        return {};
    }

  private:
    std::string& out_;
    std::size_t start_;
    std::size_t max_frame_;
};

std::optional<std::string> check_len(std::string_view field, std::string_view value, std::size_t limit,
                                     bool required) {
    if (required && value.empty()) return "The field '" + std::string(field) + "' must not be empty.";
    if (value.size() > limit)
        return "The field '" + std::string(field) + "' is " + std::to_string(value.size()) +
               " bytes, more than its limit of " + std::to_string(limit) + ".";
    return std::nullopt;
}

std::optional<std::string> check_services(const std::vector<std::string_view>& services) {
    if (services.size() > max_services)
        return "The service list has " + std::to_string(services.size()) + " entries, more than " +
               std::to_string(max_services) + ".";
    for (const auto s : services)
        if (auto e = check_len("services", s, max_service_name, true)) return e;
    return std::nullopt;
}

void put_services(std::string& out, const std::vector<std::string_view>& services) {
    put_u16(out, static_cast<std::uint16_t>(services.size()));
    for (const auto s : services) put_str(out, s);
}

outcome<void> encode_request(const request_frame& f, frame_builder& b, bool is_call, const call_frame* call) {
    std::optional<std::string> e;
    if (!e) e = check_len("target_node", f.target_node, max_node_name, true);
    if (!e) e = check_len("source_service", f.source_service, max_service_name, false);
    if (!e) e = check_len("target_service", f.target_service, max_service_name, true);
    if (!e) e = check_len("route", f.route, max_route, true);
    if (!e && f.origin) e = check_len("origin.gate_node", f.origin->gate_node, max_node_name, true);
    if (!e && f.origin) e = check_len("origin.uid", f.origin->uid, max_uid, false);
    if (e) return b.fail(errc::malformed_frame, std::move(*e));
    if (f.payload.size() > std::numeric_limits<std::uint32_t>::max() || f.payload.size() >= b.max_frame())
        return b.fail(errc::frame_too_large, "The payload of " + std::to_string(f.payload.size()) +
                                                 " bytes does not fit in a frame of at most " +
                                                 std::to_string(b.max_frame()) + " bytes.");

    // The hot path of every call and notify: size the body once, then write it in place.
    std::size_t body = (is_call ? 12 : 0) + 8 + 8 + 1 + 4 * 2 + f.target_node.size() +
                       f.source_service.size() + f.target_service.size() + f.route.size() + 4 +
                       f.payload.size();
    if (f.origin) body += 2 + f.origin->gate_node.size() + 8 + 2 + f.origin->uid.size();
    auto& out = b.out();
    const std::size_t at = out.size();
    out.resize(at + body);
    cursor c{out.data() + at};
    if (is_call) {
        c.u64(call->call_id);
        c.u32(call->reply_to_worker);
    }
    c.u64(f.target_incarnation);
    c.u64(f.deadline);
    c.u8(f.origin ? 1 : 0);
    c.str(f.target_node);
    c.str(f.source_service);
    c.str(f.target_service);
    c.str(f.route);
    if (f.origin) {
        c.str(f.origin->gate_node);
        c.u64(f.origin->session_id);
        c.str(f.origin->uid);
    }
    c.u32(static_cast<std::uint32_t>(f.payload.size()));
    c.raw(f.payload);
    return b.finish();
}

// ---- decoding ------------------------------------------------------------------------------

// Reads fields from a body. Every read checks the remaining size first; the first failure is
// remembered (with the field name) and turns later reads into no-ops.
class reader {
  public:
    explicit reader(std::string_view body) noexcept : data_(body) {}

    bool ok() const noexcept { return !error_.has_value(); }

    std::uint8_t u8(const char* field) { return static_cast<std::uint8_t>(fixed(field, 1)); }
    std::uint16_t u16(const char* field) { return static_cast<std::uint16_t>(fixed(field, 2)); }
    std::uint32_t u32(const char* field) { return static_cast<std::uint32_t>(fixed(field, 4)); }
    std::uint64_t u64(const char* field) { return fixed(field, 8); }

    void bytes(const char* field, std::uint8_t* dest, std::size_t size) {
        if (!need(field, size)) return;
        std::memcpy(dest, data_.data() + pos_, size);
        pos_ += size;
    }

    std::string_view str(const char* field, std::size_t limit, bool required) {
        const std::size_t size = u16(field);
        if (!ok()) return {};
        if (size > limit) {
            fail(std::string("The field '") + field + "' announces " + std::to_string(size) +
                 " bytes, more than its limit of " + std::to_string(limit) + ".");
            return {};
        }
        if (required && size == 0) {
            fail(std::string("The field '") + field + "' is empty.");
            return {};
        }
        return take(field, size);
    }

    std::string_view blob(const char* field) {
        const std::size_t size = u32(field);
        if (!ok()) return {};
        return take(field, size);
    }

    void fail(std::string message) {
        if (!error_) error_ = std::move(message);
    }

    // The final verdict: failure if any read failed or bytes are left over.
    outcome<void> finish(frame_type type) {
        if (ok() && pos_ != data_.size())
            fail("The body has " + std::to_string(data_.size() - pos_) + " unexpected trailing bytes.");
        if (ok()) return {};
        return failure{errc::malformed_frame,
                       "Malformed " + std::string(to_string(type)) + " frame: " + *error_};
    }

  private:
    bool need(const char* field, std::size_t size) {
        if (!ok()) return false;
        if (data_.size() - pos_ < size) {
            fail(std::string("The field '") + field + "' is truncated.");
            return false;
        }
        return true;
    }

    std::uint64_t fixed(const char* field, std::size_t size) {
        if (!need(field, size)) return 0;
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < size; ++i) v = (v << 8) | static_cast<unsigned char>(data_[pos_ + i]);
        pos_ += size;
        return v;
    }

    std::string_view take(const char* field, std::size_t size) {
        if (!need(field, size)) return {};
        const auto out = data_.substr(pos_, size);
        pos_ += size;
        return out;
    }

    std::string_view data_;
    std::size_t pos_ = 0;
    std::optional<std::string> error_;
};

void read_services(reader& r, std::vector<std::string_view>& out) {
    const std::size_t count = r.u16("services");
    if (!r.ok()) return;
    if (count > max_services) {
        r.fail("The service list announces " + std::to_string(count) + " entries, more than " +
               std::to_string(max_services) + ".");
        return;
    }
    // No reserve(count): the count is the peer's claim; the vector grows with what is really there.
    for (std::size_t i = 0; i < count && r.ok(); ++i) {
        const auto s = r.str("services", max_service_name, true);
        if (r.ok()) out.push_back(s);
    }
}

void put_stamps(std::string& out, const time_stamps& t) {
    put_u64(out, t.echo);
    put_u64(out, t.echo_received);
    put_u64(out, t.sent);
}

void read_stamps(reader& r, time_stamps& t) {
    t.echo = r.u64("stamps.echo");
    t.echo_received = r.u64("stamps.echo_received");
    t.sent = r.u64("stamps.sent");
}

void read_request(reader& r, request_frame& f) {
    f.target_incarnation = r.u64("target_incarnation");
    f.deadline = r.u64("deadline");
    const auto flags = r.u8("flags");
    if (r.ok() && (flags & ~1u) != 0) r.fail("The field 'flags' has undefined bits set.");
    f.target_node = r.str("target_node", max_node_name, true);
    f.source_service = r.str("source_service", max_service_name, false);
    f.target_service = r.str("target_service", max_service_name, true);
    f.route = r.str("route", max_route, true);
    if (r.ok() && (flags & 1u)) {
        client_origin o;
        o.gate_node = r.str("origin.gate_node", max_node_name, true);
        o.session_id = r.u64("origin.session_id");
        o.uid = r.str("origin.uid", max_uid, false);
        f.origin = o;
    }
    f.payload = r.blob("payload");
}

}  // namespace

std::string_view to_string(frame_type t) noexcept {
    switch (t) {
        case frame_type::challenge:
            return "challenge";
        case frame_type::hello:
            return "hello";
        case frame_type::welcome:
            return "welcome";
        case frame_type::reject:
            return "reject";
        case frame_type::call:
            return "call";
        case frame_type::reply:
            return "reply";
        case frame_type::notify:
            return "notify";
        case frame_type::heartbeat:
            return "heartbeat";
        case frame_type::leave:
            return "leave";
    }
    return "unknown";
}

frame_type type_of(const frame& f) noexcept {
    // The variant's alternatives are declared in frame_type order starting at 1.
    return static_cast<frame_type>(f.index() + 1);
}

void append_signed_part(const hello_frame& f, std::string& out) {
    put_u16(out, f.version);
    put_u8(out, static_cast<std::uint8_t>(f.codec));
    put_u32(out, f.max_frame);
    put_u32(out, f.heartbeat_ms);
    put_u64(out, f.sender_incarnation);
    put_stamps(out, f.stamps);
    put_raw(out, f.nonce.data(), f.nonce.size());
    put_str(out, f.cluster);
    put_str(out, f.sender_node);
    put_str(out, f.target_node);
    put_services(out, f.services);
}

void append_signed_part(const welcome_frame& f, std::string& out) {
    put_u16(out, f.version);
    put_u32(out, f.max_frame);
    put_u32(out, f.heartbeat_ms);
    put_u64(out, f.node_incarnation);
    put_stamps(out, f.stamps);
    put_str(out, f.node);
    put_services(out, f.services);
}

outcome<void> encode(const call_frame& f, std::string& out, std::size_t max_frame) {
    frame_builder b(out, frame_type::call, max_frame);
    return encode_request(f, b, true, &f);
}

outcome<void> encode(const notify_frame& f, std::string& out, std::size_t max_frame) {
    return encode_notify(f, out, max_frame);
}

outcome<void> encode_notify(const request_frame& f, std::string& out, std::size_t max_frame) {
    frame_builder b(out, frame_type::notify, max_frame);
    return encode_request(f, b, false, nullptr);
}

outcome<void> encode(const reply_frame& f, std::string& out, std::size_t max_frame) {
    frame_builder b(out, frame_type::reply, max_frame);
    if (auto e = check_len("app_code", f.app_code, max_app_code, false))
        return b.fail(errc::malformed_frame, *e);
    if (f.payload.size() > std::numeric_limits<std::uint32_t>::max())
        return b.fail(errc::frame_too_large, "The payload is larger than 4 GiB.");
    put_u64(out, f.call_id);
    put_u32(out, f.reply_to_worker);
    put_u8(out, f.status ? static_cast<std::uint8_t>(*f.status) : 0);
    put_str(out, f.app_code);
    put_str(out, truncate_utf8(f.message, max_text));
    put_u32(out, static_cast<std::uint32_t>(f.payload.size()));
    out.append(f.payload);
    return b.finish();
}

outcome<void> encode(const frame& any, std::string& out, std::size_t max_frame) {
    return std::visit(
        [&](const auto& f) -> outcome<void> {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, call_frame> || std::is_same_v<T, notify_frame> ||
                          std::is_same_v<T, reply_frame>) {
                return encode(f, out, max_frame);
            } else {
                frame_builder b(out, type_of(any), max_frame);
                if constexpr (std::is_same_v<T, challenge_frame>) {
                    put_u16(out, f.version);
                    put_u64(out, f.time);
                    put_raw(out, f.nonce.data(), f.nonce.size());
                } else if constexpr (std::is_same_v<T, hello_frame>) {
                    std::optional<std::string> e;
                    if (!e) e = check_len("cluster", f.cluster, max_node_name, true);
                    if (!e) e = check_len("sender_node", f.sender_node, max_node_name, true);
                    if (!e) e = check_len("target_node", f.target_node, max_node_name, true);
                    if (!e) e = check_services(f.services);
                    if (e) return b.fail(errc::malformed_frame, std::move(*e));
                    append_signed_part(f, out);
                    put_raw(out, f.proof.data(), f.proof.size());
                } else if constexpr (std::is_same_v<T, welcome_frame>) {
                    std::optional<std::string> e = check_len("node", f.node, max_node_name, true);
                    if (!e) e = check_services(f.services);
                    if (e) return b.fail(errc::malformed_frame, std::move(*e));
                    append_signed_part(f, out);
                    put_raw(out, f.proof.data(), f.proof.size());
                } else if constexpr (std::is_same_v<T, reject_frame>) {
                    put_u16(out, static_cast<std::uint16_t>(f.code));
                    put_str(out, truncate_utf8(f.text, max_text));
                } else if constexpr (std::is_same_v<T, leave_frame>) {
                    put_str(out, truncate_utf8(f.reason, max_text));
                } else if constexpr (std::is_same_v<T, heartbeat_frame>) {
                    put_stamps(out, f.stamps);
                }
                return b.finish();
            }
        },
        any);
}

outcome<frame> decode_body(std::uint8_t type_byte, std::string_view body) {
    const auto type = static_cast<frame_type>(type_byte);
    reader r(body);
    frame result;
    switch (type) {
        case frame_type::challenge: {
            challenge_frame f;
            f.version = r.u16("version");
            if (r.ok() && f.version != protocol_version) return frame{f};  // see challenge_frame
            f.time = r.u64("time");
            r.bytes("nonce", f.nonce.data(), f.nonce.size());
            result = f;
            break;
        }
        case frame_type::hello: {
            hello_frame f;
            f.version = r.u16("version");
            if (r.ok() && f.version != protocol_version) return frame{std::move(f)};
            const auto codec = r.u8("codec");
            if (r.ok() && codec > static_cast<std::uint8_t>(rpc::codec::msgpack))
                r.fail("The field 'codec' has the undefined value " + std::to_string(codec) + ".");
            f.codec = static_cast<rpc::codec>(codec);
            f.max_frame = r.u32("max_frame");
            f.heartbeat_ms = r.u32("heartbeat_ms");
            f.sender_incarnation = r.u64("sender_incarnation");
            read_stamps(r, f.stamps);
            r.bytes("nonce", f.nonce.data(), f.nonce.size());
            f.cluster = r.str("cluster", max_node_name, true);
            f.sender_node = r.str("sender_node", max_node_name, true);
            f.target_node = r.str("target_node", max_node_name, true);
            read_services(r, f.services);
            r.bytes("proof", f.proof.data(), f.proof.size());
            result = std::move(f);
            break;
        }
        case frame_type::welcome: {
            welcome_frame f;
            f.version = r.u16("version");
            if (r.ok() && f.version != protocol_version) return frame{std::move(f)};
            f.max_frame = r.u32("max_frame");
            f.heartbeat_ms = r.u32("heartbeat_ms");
            f.node_incarnation = r.u64("node_incarnation");
            read_stamps(r, f.stamps);
            f.node = r.str("node", max_node_name, true);
            read_services(r, f.services);
            r.bytes("proof", f.proof.data(), f.proof.size());
            result = std::move(f);
            break;
        }
        case frame_type::reject: {
            reject_frame f;
            const auto code = r.u16("code");
            if (r.ok() && !is_known(code))
                r.fail("The field 'code' has the undefined value " + std::to_string(code) + ".");
            f.code = static_cast<errc>(code);
            f.text = r.str("text", max_text, false);
            result = f;
            break;
        }
        case frame_type::call: {
            call_frame f;
            f.call_id = r.u64("call_id");
            f.reply_to_worker = r.u32("reply_to_worker");
            read_request(r, f);
            result = f;
            break;
        }
        case frame_type::notify: {
            notify_frame f;
            read_request(r, f);
            result = f;
            break;
        }
        case frame_type::reply: {
            reply_frame f;
            f.call_id = r.u64("call_id");
            f.reply_to_worker = r.u32("reply_to_worker");
            const auto status = r.u8("status");
            if (r.ok() && status != 0) {
                const auto code = static_cast<rpc::errc>(status);
                if (rpc::to_string(code) == "unknown")
                    r.fail("The field 'status' has the undefined value " + std::to_string(status) + ".");
                f.status = code;
            }
            f.app_code = r.str("app_code", max_app_code, false);
            f.message = r.str("message", max_text, false);
            f.payload = r.blob("payload");
            result = f;
            break;
        }
        case frame_type::heartbeat: {
            heartbeat_frame f;
            read_stamps(r, f.stamps);
            result = f;
            break;
        }
        case frame_type::leave: {
            leave_frame f;
            f.reason = r.str("reason", max_text, false);
            result = f;
            break;
        }
        default:
            return failure{errc::unknown_frame_type, "The frame type " + std::to_string(type_byte) +
                                                         " is not defined by protocol version " +
                                                         std::to_string(protocol_version) + "."};
    }
    if (auto done = r.finish(type); !done) return std::move(done).error();
    return result;
}

std::span<char> frame_decoder::prepare(std::size_t size) {
    // Compact: move the unconsumed tail to the front. This is what invalidates earlier views.
    if (begin_ > 0) {
        const std::size_t live = end_ - begin_;
        if (live > 0) std::memmove(buffer_.data(), buffer_.data() + begin_, live);
        begin_ = 0;
        end_ = live;
    }
    // Give back memory held after one unusually large frame.
    if (end_ == 0 && buffer_.size() > 4 * size && buffer_.size() > 1024 * 1024) {
        buffer_.clear();
        buffer_.shrink_to_fit();
    }
    if (buffer_.size() < end_ + size) buffer_.resize(end_ + size);
    prepared_ = size;
    return {buffer_.data() + end_, size};
}

void frame_decoder::commit(std::size_t size) noexcept {
    end_ += size <= prepared_ ? size : prepared_;
    prepared_ = 0;
}

void frame_decoder::feed(std::string_view bytes) {
    auto space = prepare(bytes.size());
    if (!bytes.empty()) std::memcpy(space.data(), bytes.data(), bytes.size());
    commit(bytes.size());
}

void frame_decoder::reset() noexcept {
    begin_ = end_ = prepared_ = 0;
    failure_.reset();
}

outcome<std::optional<frame>> frame_decoder::next() {
    if (failure_) return *failure_;
    const std::size_t avail = end_ - begin_;
    if (avail < 4) return std::optional<frame>{};
    const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + begin_);
    const std::uint32_t length = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                 (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
    // Checked as soon as the length is known, before waiting for (or allocating) the body.
    if (length == 0) {
        failure_.emplace(errc::malformed_frame,
                         "A frame announces a length of 0; every frame has a type byte.");
        return *failure_;
    }
    if (length > max_frame_) {
        failure_.emplace(errc::frame_too_large, "A frame announces " + std::to_string(length) +
                                                    " bytes, more than the limit of " +
                                                    std::to_string(max_frame_) + " bytes.");
        return *failure_;
    }
    if (avail - 4 < length) return std::optional<frame>{};
    const std::uint8_t type = p[4];
    const std::string_view body(buffer_.data() + begin_ + frame_header_size, length - 1);
    begin_ += 4 + std::size_t{length};
    auto decoded = decode_body(type, body);
    if (!decoded) {
        failure_ = std::move(decoded).error();
        return *failure_;
    }
    return std::optional<frame>(std::move(*decoded));
}

}  // namespace hearth::cluster

// The client message decoder (session/message.hpp): flags, varint ids, plain and dictionary
// routes, payloads.
//
// Input: 1 byte (bit 0: decode with the route dictionary or without), then a Data packet body.
// Properties:
// - a decoded message re-encodes (encode_message) and decodes again to the same meaning;
// - its route is at most 255 bytes, its payload is the tail of the body, a Request id is not 0;
// - a compressed route is only accepted when the dictionary has the code;
// - errors are from the documented set; nothing throws.

#include <string>

#include "session/message.hpp"
#include "session/packet.hpp"
#include "session/varint.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace hearth::session;

namespace {

const route_dictionary& dictionary() {
    static const route_dictionary d = [] {
        route_dictionary r;
        (void)r.add("onMessage.dict", 5);
        (void)r.add("room.join", 1);
        (void)r.add("room.message", 2);
        (void)r.add("connector.entry", 0);
        (void)r.add("chat.say", 0xffff);
        (void)r.add("a", 0x100);
        return r;
    }();
    return d;
}

bool same_meaning(const message& a, const message& b) {
    return a.type == b.type && a.id == b.id && a.route == b.route && a.payload == b.payload &&
           a.zlib == b.zlib && a.error == b.error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body = hearth::fuzz::as_view(data, size);
    const bool with_dict = hearth::fuzz::take_le(body, 1) & 1;
    const route_dictionary* dict = with_dict ? &dictionary() : nullptr;

    message m;
    const auto ec = decode_message(body, dict, m);
    if (ec) {
        FUZZ_CHECK(ec == errc::bad_message || ec == errc::unknown_message_type || ec == errc::bad_varint ||
                       ec == errc::zero_request_id || ec == errc::unknown_route_code,
                   "decode_message returned an undocumented error: " + ec.message());
    } else {
        FUZZ_CHECK(static_cast<unsigned>(m.type) <= 3, "decoded message type out of range");
        FUZZ_CHECK(m.route.size() <= 255, "decoded route longer than 255 bytes");
        FUZZ_CHECK(!(m.type == message_type::request && m.id == 0), "decoded a Request with id 0");
        FUZZ_CHECK(has_route(m.type) || m.route.empty(), "a Response carries a route");
        FUZZ_CHECK(has_id(m.type) || m.id == 0, "a Notify or Push carries an id");
        FUZZ_CHECK(
            body.size() >= m.payload.size() && body.substr(body.size() - m.payload.size()) == m.payload,
            "the payload is not the tail of the body");
        if (m.compressed_route) {
            FUZZ_CHECK(dict && dict->route(m.route_code) == m.route,
                       "a compressed route is not the dictionary's");
        }

        // Re-encode with the dictionary only when the route came from it (plain routes stay plain
        // either way: encoding with the dictionary would compress a plain route it knows).
        std::string out = "prefix";
        FUZZ_CHECK(!encode_message(out, m, m.compressed_route ? dict : nullptr),
                   "encode_message refused a decoded message");
        FUZZ_CHECK(out.compare(0, 6, "prefix") == 0, "encode_message changed what was already in the buffer");
        message again;
        FUZZ_CHECK(!decode_message(std::string_view(out).substr(6), dict, again),
                   "the re-encoded message does not decode");
        FUZZ_CHECK(same_meaning(m, again), "the re-encoded message decodes to a different meaning");
        FUZZ_CHECK(again.compressed_route == m.compressed_route, "the re-encoded route changed form");
        FUZZ_CHECK(out.size() - 6 <= body.size(), "the re-encoding is longer than the original");

        // The same message in a whole Data packet.
        std::string packet;
        FUZZ_CHECK(!encode_data_packet(packet, m, m.compressed_route ? dict : nullptr),
                   "encode_data_packet refused it");
        FUZZ_CHECK(packet.size() == out.size() - 6 + packet_header_size &&
                       packet.substr(packet_header_size) == out.substr(6),
                   "encode_data_packet differs from encode_message");
    }

    // The varint reader on the same bytes: a value read re-encodes to at most as many bytes and
    // reads back the same.
    std::string_view v = body;
    std::uint64_t value = 0;
    if (!read_varint(v, value)) {
        const std::size_t used = body.size() - v.size();
        FUZZ_CHECK(used >= 1 && used <= max_varint_size, "read_varint consumed a bad number of bytes");
        FUZZ_CHECK(varint_size(value) <= used, "varint_size larger than the bytes read");
        std::string enc;
        append_varint(enc, value);
        FUZZ_CHECK(enc.size() == varint_size(value), "append_varint disagrees with varint_size");
        std::string_view e = enc;
        std::uint64_t back = 0;
        FUZZ_CHECK(!read_varint(e, back) && back == value && e.empty(), "varint round trip failed");
    } else {
        FUZZ_CHECK(v.size() == body.size(), "a failed read_varint consumed bytes");
    }
    return 0;
}

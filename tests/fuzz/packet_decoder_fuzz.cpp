// The client packet decoder (session/packet.hpp) fed a byte stream in random splits, through
// both of its paths (feed() and prepare/commit/next()).
//
// Input: 1 byte choosing max_body, 4 bytes seeding the split sizes, then the stream.
// Properties:
// - both paths yield exactly the packets (and the error) of a whole-buffer reference decoder;
// - no body exceeds max_body, and the error is sticky;
// - re-encoding the packets gives back the consumed prefix of the stream byte for byte;
// - the decoder never holds more than one partial packet (header + max_body) plus a read.

#include <string>
#include <vector>

#include "session/packet.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace hearth::session;
using hearth::fuzz::splitter;

namespace {

struct decoded {
    std::vector<std::pair<packet_type, std::string>> packets;
    std::error_code error;
    std::size_t consumed = 0;  // bytes of the stream the packets cover
};

// The contract, written as plainly as possible on the whole stream.
decoded reference(std::string_view s, std::size_t max_body) {
    decoded d;
    std::size_t at = 0;
    while (at < s.size()) {
        const auto type = static_cast<unsigned char>(s[at]);
        if (type < 1 || type > 5) {
            d.error = errc::unknown_packet_type;
            break;
        }
        if (s.size() - at < packet_header_size) break;
        const std::size_t length = (std::size_t{static_cast<unsigned char>(s[at + 1])} << 16) |
                                   (std::size_t{static_cast<unsigned char>(s[at + 2])} << 8) |
                                   std::size_t{static_cast<unsigned char>(s[at + 3])};
        if (length > max_body) {
            d.error = errc::packet_too_large;
            break;
        }
        if (s.size() - at - packet_header_size < length) break;
        d.packets.emplace_back(static_cast<packet_type>(type), std::string(s.substr(at + 4, length)));
        at += packet_header_size + length;
    }
    d.consumed = at;
    return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in = hearth::fuzz::as_view(data, size);
    static constexpr std::size_t bodies[] = {0, 1, 16, 300, 4096, default_max_packet_body};
    const std::size_t max_body = bodies[hearth::fuzz::take_le(in, 1) % std::size(bodies)];
    const auto seed = static_cast<std::uint32_t>(hearth::fuzz::take_le(in, 4));

    const decoded want = reference(in, max_body);

    // Path 1: feed() in random chunks.
    {
        packet_decoder dec(max_body);
        decoded got;
        splitter split(seed);
        std::string_view rest = in;
        std::error_code ec;
        while (!rest.empty()) {
            const std::size_t n = split.next(rest.size());
            ec = dec.feed(rest.substr(0, n), [&](const packet& p) {
                FUZZ_CHECK(p.body.size() <= max_body, "feed: a body exceeds max_body");
                FUZZ_CHECK(is_valid(p.type), "feed: an invalid packet type was delivered");
                got.packets.emplace_back(p.type, std::string(p.body));
            });
            rest.remove_prefix(n);
            if (ec) {
                FUZZ_CHECK(dec.feed("\x04\x00\x00\x00",
                                    [](const packet&) {
                                        FUZZ_CHECK(false, "feed: a packet was delivered after an error");
                                    }) == ec,
                           "feed: the error is not sticky");
                break;
            }
            // At most one partial packet stays buffered.
            FUZZ_CHECK(dec.buffered() < packet_header_size + max_body,
                       "feed: more than a partial packet buffered");
        }
        got.error = ec;
        FUZZ_CHECK(got.packets == want.packets, "feed: packets differ from the reference decoder");
        FUZZ_CHECK(got.error == want.error, "feed: error differs from the reference decoder");
    }

    // Path 2: the socket reader's prepare/commit/next.
    {
        packet_decoder dec(max_body);
        decoded got;
        splitter split(seed ^ 0x9e3779b9u);
        std::string_view rest = in;
        std::error_code ec;
        bool failed = false;
        while (!rest.empty() && !failed) {
            const std::size_t n = split.next(rest.size());
            char* buf = dec.prepare(n);
            std::char_traits<char>::copy(buf, rest.data(), n);
            dec.commit(n);
            rest.remove_prefix(n);
            packet p;
            while (dec.next(p, ec)) {
                FUZZ_CHECK(p.body.size() <= max_body, "next: a body exceeds max_body");
                got.packets.emplace_back(p.type, std::string(p.body));
            }
            if (ec) {
                failed = true;
                FUZZ_CHECK(!dec.next(p, ec) && ec == dec.error(), "next: the error is not sticky");
            } else {
                FUZZ_CHECK(dec.buffered() < packet_header_size + max_body,
                           "next: more than a partial packet buffered");
            }
        }
        got.error = ec;
        FUZZ_CHECK(got.packets == want.packets, "next: packets differ from the reference decoder");
        FUZZ_CHECK(got.error == want.error, "next: error differs from the reference decoder");
    }

    // Re-encoding gives back the bytes the packets came from.
    std::string again;
    for (const auto& [type, body] : want.packets)
        FUZZ_CHECK(!encode_packet(again, type, body), "encode_packet refused a decoded packet");
    FUZZ_CHECK(again == in.substr(0, want.consumed), "re-encoded packets differ from the input");
    return 0;
}

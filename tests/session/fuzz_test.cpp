// Random and mutated input must never crash, hang or over-read (run under the sanitizer build
// too). Deterministic seeds; bounded loops.
#include "session/packet.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "session/compression.hpp"
#include "session/handshake.hpp"
#include "session/message.hpp"

using namespace hearth::session;

namespace {

std::string random_bytes(std::mt19937& rng, std::size_t max_size) {
    std::string s(rng() % (max_size + 1), '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    return s;
}

// A plausible stream: valid packets with valid and broken messages, then mutated.
std::string mutated_stream(std::mt19937& rng, const route_dictionary& dict) {
    std::string stream;
    const int packets = static_cast<int>(rng() % 8);
    for (int i = 0; i < packets; ++i) {
        message m;
        m.type = static_cast<message_type>(rng() % 4);
        m.id = rng() % 1000 + 1;
        m.route = rng() % 2 ? "room.join" : "other.route";
        const std::string payload = random_bytes(rng, 40);
        m.payload = payload;
        (void)encode_data_packet(stream, m, rng() % 2 ? &dict : nullptr);
    }
    const int flips = static_cast<int>(rng() % 4);
    for (int i = 0; i < flips && !stream.empty(); ++i)
        stream[rng() % stream.size()] = static_cast<char>(rng() & 0xff);
    return stream;
}

}  // namespace

TEST_CASE("random garbage never crashes the decoders") {
    std::mt19937 rng(20240601);
    route_dictionary dict;
    REQUIRE_FALSE(dict.add("room.join", 1));
    std::size_t packets = 0, messages_ok = 0, errors = 0;
    for (int iteration = 0; iteration < 3000; ++iteration) {
        const std::string stream = iteration % 2 ? random_bytes(rng, 300) : mutated_stream(rng, dict);
        packet_decoder decoder(rng() % 2 ? 64 : default_max_packet_body);
        std::size_t pos = 0;
        std::error_code ec;
        while (pos < stream.size() && !ec) {
            const std::size_t n = std::min<std::size_t>(rng() % 17 + 1, stream.size() - pos);
            ec = decoder.feed(std::string_view(stream).substr(pos, n), [&](const packet& p) {
                ++packets;
                message m;
                if (!decode_message(p.body, &dict, m)) {
                    ++messages_ok;
                    // Views stay inside the body or the dictionary.
                    REQUIRE(m.payload.data() >= p.body.data());
                    REQUIRE(m.payload.data() + m.payload.size() == p.body.data() + p.body.size());
                }
            });
            pos += n;
        }
        if (ec) ++errors;
    }
    REQUIRE(packets > 0);
    REQUIRE(messages_ok > 0);
    REQUIRE(errors > 0);
}

TEST_CASE("random message bodies never crash decode_message") {
    std::mt19937 rng(99);
    route_dictionary dict;
    REQUIRE_FALSE(dict.add("a.b", 0x0102));
    for (int i = 0; i < 20000; ++i) {
        const std::string body = random_bytes(rng, 24);
        message m;
        (void)decode_message(body, rng() % 2 ? &dict : nullptr, m);
    }
}

TEST_CASE("random handshakes and zlib payloads never crash") {
    std::mt19937 rng(5);
    inflater inf;
    const char* fragments[] = {"{", "}", "[", "]", "\"sys\"", ":", ",", "\"user\"", "1", "null", "\"", "\\"};
    for (int i = 0; i < 3000; ++i) {
        std::string text;
        const int parts = static_cast<int>(rng() % 12);
        for (int k = 0; k < parts; ++k) text += fragments[rng() % std::size(fragments)];
        handshake_request r;
        (void)parse_handshake(text, r);
        (void)parse_handshake(random_bytes(rng, 64), r);

        std::string z;
        deflate_payload(random_bytes(rng, 200), z);
        if (!z.empty() && rng() % 2) z[rng() % z.size()] = static_cast<char>(rng() & 0xff);
        std::string out;
        (void)inf.inflate(z, out, 150);
        REQUIRE(out.size() <= 150);
    }
}

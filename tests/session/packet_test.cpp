#include "session/packet.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "tests/session/hex.hpp"

using namespace hearth::session;
using test::from_hex;

namespace {

struct collected {
    packet_type type;
    std::string body;
};

// Feeds `bytes` in chunks of `step` bytes and collects every packet (bodies copied, since the
// views are valid only during the callback).
std::error_code feed_in_steps(packet_decoder& d, std::string_view bytes, std::size_t step,
                              std::vector<collected>& out) {
    while (!bytes.empty()) {
        const auto n = std::min(step, bytes.size());
        auto ec = d.feed(bytes.substr(0, n), [&](const packet& p) {
            out.push_back({p.type, std::string(p.body)});
        });
        if (ec) return ec;
        bytes.remove_prefix(n);
    }
    return {};
}

std::string make_stream(std::vector<collected>& expected, std::size_t count) {
    std::string stream;
    for (std::size_t i = 0; i < count; ++i) {
        const auto type = static_cast<packet_type>(1 + i % 5);
        std::string body(i % 7 == 0 ? 0 : (i * 37) % 300, static_cast<char>('a' + i % 26));
        REQUIRE_FALSE(encode_packet(stream, type, body));
        expected.push_back({type, body});
    }
    return stream;
}

}  // namespace

TEST_CASE("encode_packet appends a header and the body") {
    std::string out = "x";
    REQUIRE_FALSE(encode_packet(out, packet_type::kick, R"({"reason":"bye"})"));
    REQUIRE(out.substr(0, 5) == from_hex("78 05 00 00 10"));
    REQUIRE(out.substr(5) == R"({"reason":"bye"})");
    REQUIRE(heartbeat_packet == from_hex("03 00 00 00"));
    REQUIRE(handshake_ack_packet == from_hex("02 00 00 00"));
}

TEST_CASE("encode_packet reuses the caller's buffer") {
    std::string out;
    out.reserve(1024);
    const auto* data = out.data();
    for (int i = 0; i < 100; ++i) {
        out.clear();
        REQUIRE_FALSE(encode_packet(out, packet_type::data, std::string_view("hello world")));
    }
    REQUIRE(out.data() == data);
}

TEST_CASE("encode_packet refuses a body beyond 24 bits") {
    std::string out = "keep";
    std::string big(max_packet_body_limit + 1, 'x');
    REQUIRE(encode_packet(out, packet_type::data, big) == errc::packet_too_large);
    REQUIRE(out == "keep");
    REQUIRE_FALSE(encode_packet(out, packet_type::data, std::string_view(big).substr(1)));
    REQUIRE(out.substr(4, 4) == from_hex("04 ff ff ff"));
}

TEST_CASE("begin_packet and finish_packet build in place") {
    std::string out = "ab";
    const auto at = begin_packet(out, packet_type::data);
    out += "hello";
    REQUIRE_FALSE(finish_packet(out, at));
    REQUIRE(out == "ab" + from_hex("04 00 00 05") + "hello");

    const auto at2 = begin_packet(out, packet_type::data);
    out.append(max_packet_body_limit + 1, 'x');
    REQUIRE(finish_packet(out, at2) == errc::packet_too_large);
    REQUIRE(out == "ab" + from_hex("04 00 00 05") + "hello");
}

TEST_CASE("packet types have names") {
    REQUIRE(to_string(packet_type::handshake) == "handshake");
    REQUIRE(to_string(packet_type::kick) == "kick");
    REQUIRE(to_string(static_cast<packet_type>(9)) == "unknown");
    REQUIRE_FALSE(is_valid(static_cast<packet_type>(0)));
    REQUIRE_FALSE(is_valid(static_cast<packet_type>(6)));
}

TEST_CASE("decoder: one feed with many packets, fed whole, byte by byte and in odd chunks") {
    std::vector<collected> expected;
    const std::string stream = make_stream(expected, 200);
    for (const std::size_t step :
         {stream.size(), std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5}, std::size_t{4},
          std::size_t{7}, std::size_t{100}, std::size_t{4099}}) {
        INFO("step " << step);
        packet_decoder d;
        std::vector<collected> got;
        REQUIRE_FALSE(feed_in_steps(d, stream, step, got));
        REQUIRE(got.size() == expected.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            REQUIRE(got[i].type == expected[i].type);
            REQUIRE(got[i].body == expected[i].body);
        }
        REQUIRE(d.buffered() == 0);
    }
}

TEST_CASE("decoder: prepare/commit/next read path") {
    std::vector<collected> expected;
    const std::string stream = make_stream(expected, 50);
    packet_decoder d;
    std::vector<collected> got;
    std::size_t pos = 0;
    std::size_t step = 1;
    while (pos < stream.size()) {
        const auto n = std::min(step, stream.size() - pos);
        std::copy_n(stream.data() + pos, n, d.prepare(n));
        d.commit(n);
        pos += n;
        step = step * 3 % 97 + 1;  // varied read sizes
        packet p;
        std::error_code ec;
        while (d.next(p, ec)) got.push_back({p.type, std::string(p.body)});
        REQUIRE_FALSE(ec);
    }
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(got[i].body == expected[i].body);
}

TEST_CASE("decoder: a split packet is delivered once complete") {
    packet_decoder d;
    int count = 0;
    const auto bytes = from_hex("04 00 00 03 61 62 63 03 00");
    REQUIRE_FALSE(d.feed(bytes, [&](const packet& p) {
        ++count;
        REQUIRE(p.body == "abc");
    }));
    REQUIRE(count == 1);
    REQUIRE(d.buffered() == 2);
    REQUIRE_FALSE(d.feed(from_hex("00 00"), [&](const packet& p) {
        ++count;
        REQUIRE(p.type == packet_type::heartbeat);
    }));
    REQUIRE(count == 2);
    REQUIRE(d.buffered() == 0);
}

TEST_CASE("decoder: unknown type is refused at its first byte") {
    for (const int type : {0, 6, 7, 0x7f, 0xff}) {
        packet_decoder d;
        int count = 0;
        std::string bytes = from_hex("03 00 00 00");
        bytes.push_back(static_cast<char>(type));
        REQUIRE(d.feed(bytes, [&](const packet&) { ++count; }) == errc::unknown_packet_type);
        REQUIRE(count == 1);  // the heartbeat before it was delivered
        // Sticky: nothing more is decoded.
        REQUIRE(d.feed(from_hex("03 00 00 00"), [&](const packet&) { ++count; }) ==
                errc::unknown_packet_type);
        REQUIRE(count == 1);
        packet p;
        std::error_code ec;
        REQUIRE_FALSE(d.next(p, ec));
        REQUIRE(ec == errc::unknown_packet_type);
    }
}

TEST_CASE("decoder: oversize length is refused from the header alone") {
    SECTION("default maximum 64 KiB") {
        packet_decoder d;
        REQUIRE(d.max_body() == 64 * 1024);
        REQUIRE_FALSE(d.feed(from_hex("04 01 00 00"), [](const packet&) {}));  // exactly 64 KiB: fine
        packet_decoder e;
        REQUIRE(e.feed(from_hex("04 01 00 01"), [](const packet&) {}) == errc::packet_too_large);
        REQUIRE(e.buffered() <= 4);
    }
    SECTION("header split byte by byte") {
        packet_decoder d(10);
        const auto bytes = from_hex("04 00 00 0b");
        std::error_code ec;
        for (const char c : bytes) ec = d.feed(std::string_view(&c, 1), [](const packet&) {});
        REQUIRE(ec == errc::packet_too_large);
    }
    SECTION("clamped to 2^24-1") {
        packet_decoder d(std::size_t{1} << 30);
        REQUIRE(d.max_body() == max_packet_body_limit);
        // The largest announced length is accepted (and nothing is allocated for it).
        REQUIRE_FALSE(d.feed(from_hex("04 ff ff ff 00"), [](const packet&) {}));
        REQUIRE(d.buffered() == 5);
    }
    SECTION("via next()") {
        packet_decoder d(3);
        const auto bytes = from_hex("04 00 00 04 61 62 63 64");
        std::copy(bytes.begin(), bytes.end(), d.prepare(bytes.size()));
        d.commit(bytes.size());
        packet p;
        std::error_code ec;
        REQUIRE_FALSE(d.next(p, ec));
        REQUIRE(ec == errc::packet_too_large);
        REQUIRE(d.error() == errc::packet_too_large);
        d.reset();
        REQUIRE_FALSE(d.error());
        REQUIRE(d.buffered() == 0);
    }
}

TEST_CASE("decoder: a large packet arriving in small reads") {
    packet_decoder d(max_packet_body_limit);
    std::string stream;
    const std::string body(1 << 20, 'z');
    REQUIRE_FALSE(encode_packet(stream, packet_type::data, body));
    REQUIRE_FALSE(encode_packet(stream, packet_type::heartbeat, {}));
    std::vector<collected> got;
    REQUIRE_FALSE(feed_in_steps(d, stream, 1500, got));
    REQUIRE(got.size() == 2);
    REQUIRE(got[0].body == body);
    REQUIRE(got[1].type == packet_type::heartbeat);
}

TEST_CASE("decoder: the buffer stays bounded while draining") {
    // Many small packets fed in reads that always leave a partial packet behind: buffered bytes
    // never exceed one packet, so the buffer does not grow with the stream.
    std::string stream;
    for (int i = 0; i < 10000; ++i) REQUIRE_FALSE(encode_packet(stream, packet_type::data, "0123456789"));
    packet_decoder d;
    std::size_t count = 0;
    std::size_t max_buffered = 0;
    for (std::size_t pos = 0; pos < stream.size(); pos += 333) {
        REQUIRE_FALSE(d.feed(std::string_view(stream).substr(pos, 333), [&](const packet&) { ++count; }));
        max_buffered = std::max(max_buffered, d.buffered());
    }
    REQUIRE(count == 10000);
    REQUIRE(max_buffered < 14);
}

TEST_CASE("decoder: moved-from decoders stay usable") {
    packet_decoder a;
    REQUIRE_FALSE(a.feed(from_hex("04 00 00 02 61"), [](const packet&) {}));
    packet_decoder b = std::move(a);
    REQUIRE(b.buffered() == 5);
    int count = 0;
    REQUIRE_FALSE(b.feed("b", [&](const packet& p) {
        ++count;
        REQUIRE(p.body == "ab");
    }));
    REQUIRE(a.buffered() == 0);  // NOLINT(bugprone-use-after-move): documented state
    REQUIRE_FALSE(a.feed(from_hex("03 00 00 00"), [&](const packet&) { ++count; }));
    a = std::move(b);
    REQUIRE_FALSE(b.feed(from_hex("03 00 00 00"), [&](const packet&) { ++count; }));
    REQUIRE(count == 3);
}

#include "cluster/frame.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace hearth::cluster;
using hearth::rpc::codec;
namespace rpc = hearth::rpc;

namespace {

std::string encoded(const frame& f, std::size_t max_frame = default_max_frame) {
    std::string out;
    auto r = encode(f, out, max_frame);
    if (!r) FAIL(r.error().message);
    return out;
}

// Decodes exactly one frame from `bytes` fed in chunks of `chunk` bytes.
frame decode_one(std::string_view bytes, frame_decoder& d, std::size_t chunk) {
    std::optional<frame> got;
    for (std::size_t i = 0; i < bytes.size(); i += chunk) {
        REQUIRE_FALSE(got);
        d.feed(bytes.substr(i, chunk));
        auto n = d.next();
        if (!n) FAIL(n.error().message);
        if (*n) got = std::move(**n);
    }
    REQUIRE(got);
    CHECK(d.buffered() == 0);
    return std::move(*got);
}

call_frame sample_call() {
    call_frame c;
    c.call_id = 0x0102030405060708ull;
    c.reply_to_worker = 3;
    c.target_node = "game-1";
    c.target_incarnation = 0xfeedfacecafebeefull;
    c.deadline = 0x0000123456789abcull;
    c.source_service = "lobby";
    c.target_service = "room";
    c.route = "room.join";
    c.origin = client_origin{"gate-1", 42, "uid-7"};
    c.payload = R"({"nick":"ann"})";
    return c;
}

}  // namespace

TEST_CASE("every frame type round-trips, fed whole and byte by byte") {
    nonce n{};
    for (std::size_t i = 0; i < n.size(); ++i) n[i] = static_cast<std::uint8_t>(i * 13);
    digest proof{};
    proof[0] = 0xAB;
    proof[31] = 0xCD;

    hello_frame hello;
    hello.codec = codec::cbor;
    hello.max_frame = 1 << 20;
    hello.heartbeat_ms = 500;
    hello.sender_incarnation = 77;
    hello.nonce = n;
    hello.cluster = "demo";
    hello.sender_node = "gate-1";
    hello.target_node = "game-1";
    hello.services = {"gate", "chat"};
    hello.proof = proof;

    welcome_frame welcome;
    welcome.max_frame = 4096;
    welcome.heartbeat_ms = 1000;
    welcome.node_incarnation = 99;
    welcome.node = "game-1";
    welcome.services = {"room"};
    welcome.proof = proof;

    notify_frame notify;
    notify.target_node = "game-1";
    notify.target_incarnation = 5;
    notify.target_service = "room";
    notify.route = "room.leave";
    notify.payload = std::string_view("\0\1\2", 3);

    reply_frame ok_reply{7, 2, std::nullopt, "", "", "{\"ok\":true}"};
    reply_frame err_reply{8, 0, rpc::errc::remote_error, "room_full", "The room is full.", ""};

    const std::vector<frame> frames{challenge_frame{protocol_version, 0x1122334455667788ull, n},
                                    hello,
                                    welcome,
                                    reject_frame{errc::bad_signature, "nope"},
                                    sample_call(),
                                    ok_reply,
                                    err_reply,
                                    notify,
                                    heartbeat_frame{time_stamps{1, 2, 3}},
                                    leave_frame{"shutdown"}};

    for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
        frame_decoder d;
        for (const auto& f : frames) {
            const auto bytes = encoded(f);
            INFO("type " << to_string(type_of(f)) << ", chunk " << chunk);
            const frame back = decode_one(bytes, d, chunk);
            REQUIRE(back.index() == f.index());
            // Re-encoding the decoded frame gives the same bytes: every field survived.
            CHECK(encoded(back) == bytes);
        }
    }

    frame_decoder d;
    const auto c = std::get<call_frame>(decode_one(encoded(sample_call()), d, 1000));
    CHECK(c.call_id == 0x0102030405060708ull);
    CHECK(c.reply_to_worker == 3);
    CHECK(c.target_incarnation == 0xfeedfacecafebeefull);
    CHECK(c.deadline == 0x0000123456789abcull);
    CHECK(c.route == "room.join");
    CHECK(c.origin == client_origin{"gate-1", 42, "uid-7"});
    CHECK(c.payload == R"({"nick":"ann"})");
    const auto r = std::get<reply_frame>(decode_one(encoded(err_reply), d, 1000));
    CHECK(r.status == rpc::errc::remote_error);
    CHECK(r.app_code == "room_full");
    const auto h = std::get<hello_frame>(decode_one(encoded(hello), d, 1000));
    CHECK(h.services == std::vector<std::string_view>{"gate", "chat"});
    CHECK(h.nonce == n);
    CHECK(h.proof == proof);
    CHECK(h.codec == codec::cbor);
}

TEST_CASE("frames coalesced in one buffer decode one after another; views survive until the next feed") {
    std::string buf;
    for (int i = 0; i < 100; ++i) {
        auto c = sample_call();
        c.call_id = static_cast<std::uint64_t>(i);
        REQUIRE(encode(c, buf));
        REQUIRE(encode(heartbeat_frame{}, buf));
    }
    frame_decoder d;
    d.feed(buf);
    std::vector<frame> out;
    while (true) {
        auto n = d.next();
        REQUIRE(n);
        if (!*n) break;
        out.push_back(std::move(**n));
    }
    REQUIRE(out.size() == 200);
    for (int i = 0; i < 100; ++i) {
        const auto& c = std::get<call_frame>(out[2 * i]);
        CHECK(c.call_id == static_cast<std::uint64_t>(i));
        CHECK(c.route == "room.join");
        CHECK(std::holds_alternative<heartbeat_frame>(out[2 * i + 1]));
    }
}

TEST_CASE("prepare/commit is the zero-copy path a socket reader uses") {
    std::string bytes;
    REQUIRE(encode(leave_frame{"bye"}, bytes));
    frame_decoder d;
    auto space = d.prepare(3);
    std::copy_n(bytes.data(), 3, space.data());
    d.commit(3);
    CHECK_FALSE(*d.next());
    space = d.prepare(1024);
    std::copy(bytes.begin() + 3, bytes.end(), space.data());
    d.commit(bytes.size() - 3);
    auto n = d.next();
    REQUIRE(n);
    REQUIRE(*n);
    CHECK(std::get<leave_frame>(**n).reason == "bye");
}

TEST_CASE("an oversized frame fails as soon as its length is known, without buffering it") {
    frame_decoder d(4096);
    const char header[] = {'\x7f', '\xff', '\xff', '\xff', '\x05'};
    d.feed(std::string_view(header, 5));
    auto n = d.next();
    REQUIRE_FALSE(n);
    CHECK(n.error() == errc::frame_too_large);
    CHECK(n.error().message.find("2147483647") != std::string::npos);
    // Sticky: the stream has lost its framing.
    d.feed("more");
    CHECK(d.next().error() == errc::frame_too_large);
    d.reset();
    CHECK_FALSE(d.failed());
    CHECK(d.next());

    // The encoder refuses to build what the peer would refuse to read, and leaves `out` as it was.
    std::string out = "prefix";
    auto c = sample_call();
    const std::string big(5000, 'x');
    c.payload = big;
    auto r = encode(c, out, 4096);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::frame_too_large);
    CHECK(out == "prefix");
    reply_frame rep{1, 0, std::nullopt, "", "", big};
    CHECK(encode(rep, out, 4096).error() == errc::frame_too_large);
    CHECK(out == "prefix");
}

TEST_CASE("unknown types, zero lengths and malformed fields are clear errors") {
    SECTION("unknown type") {
        frame_decoder d;
        d.feed(std::string_view("\0\0\0\1\x63", 5));
        auto n = d.next();
        REQUIRE_FALSE(n);
        CHECK(n.error() == errc::unknown_frame_type);
        CHECK(n.error().message.find("99") != std::string::npos);
    }
    SECTION("zero length") {
        frame_decoder d;
        d.feed(std::string_view("\0\0\0\0", 4));
        CHECK(d.next().error() == errc::malformed_frame);
    }
    SECTION("a string longer than its frame") {
        // leave frame: body = u16 reason length (100) but only 2 bytes follow.
        frame_decoder d;
        d.feed(std::string_view("\0\0\0\5\x09\0\x64hi", 9));
        auto n = d.next();
        REQUIRE_FALSE(n);
        CHECK(n.error() == errc::malformed_frame);
        CHECK(n.error().message.find("reason") != std::string::npos);
    }
    SECTION("trailing bytes") {
        frame_decoder d;
        d.feed(std::string_view("\0\0\0\2\x08\0", 6));  // heartbeat with a one-byte body
        CHECK(d.next().error() == errc::malformed_frame);
    }
    SECTION("undefined reject code and reply status") {
        CHECK(decode_body(4, std::string_view("\x03\xe7\0\0", 4)).error() == errc::malformed_frame);
        std::string body(12, '\0');
        body += '\x77';  // status
        body += std::string(8, '\0');
        CHECK(decode_body(6, body).error() == errc::malformed_frame);
    }
    SECTION("a service list announcing more entries than present") {
        welcome_frame w;
        w.node = "n";
        w.max_frame = 4096;
        std::string bytes;
        REQUIRE(encode(w, bytes));
        // The service count sits after 2+4+4+8 bytes, the stamps (3*8) and the node name (2+1).
        bytes[frame_header_size + 45] = '\x0f';
        frame_decoder d;
        d.feed(bytes);
        CHECK(d.next().error() == errc::malformed_frame);
    }
    SECTION("encode refuses empty or oversized names") {
        std::string out;
        auto c = sample_call();
        c.route = "";
        CHECK(encode(c, out).error() == errc::malformed_frame);
        c = sample_call();
        const std::string long_name(200, 'n');
        c.target_service = long_name;
        CHECK(encode(c, out).error() == errc::malformed_frame);
        CHECK(out.empty());
    }
    SECTION("long texts are truncated at a UTF-8 boundary") {
        std::string text;
        while (text.size() < max_text + 10) text += "\xc3\xa9";  // é
        std::string out;
        REQUIRE(encode(reject_frame{errc::handshake_failed, text}, out));
        frame_decoder d;
        d.feed(out);
        auto n = d.next();
        REQUIRE(n);
        const auto t = std::get<reject_frame>(**n).text;
        CHECK(t.size() == max_text);
        CHECK((static_cast<unsigned char>(t.back()) & 0xC0) == 0x80);  // ends on a whole character
    }
}

TEST_CASE("decoding random garbage and mutated frames never crashes or reads out of bounds") {
    std::mt19937 rng(20240601);  // fixed seed: the test is deterministic
    std::vector<std::string> valid;
    {
        std::string s;
        REQUIRE(encode(sample_call(), s));
        valid.push_back(s);
        s.clear();
        hello_frame h;
        h.cluster = "demo";
        h.sender_node = "a";
        h.target_node = "b";
        h.services = {"x", "y", "z"};
        REQUIRE(encode(h, s));
        valid.push_back(s);
        s.clear();
        REQUIRE(encode(reply_frame{1, 2, rpc::errc::timeout, "c", "m", "p"}, s));
        valid.push_back(s);
    }
    std::size_t frames = 0, failures = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        std::string input;
        if (iter % 2 == 0) {
            // Pure garbage, with a small length prefix half of the time so bodies are reached.
            const std::size_t size = rng() % 300;
            for (std::size_t i = 0; i < size; ++i) input += static_cast<char>(rng());
            if (size >= 5 && rng() % 2) {
                input[0] = input[1] = 0;
                input[2] = static_cast<char>(rng() % 2);
                input[4] = static_cast<char>(1 + rng() % 10);
            }
        } else {
            // A valid frame with a few random byte flips, truncated or extended.
            input = valid[rng() % valid.size()];
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int f = 0; f < flips; ++f) input[rng() % input.size()] = static_cast<char>(rng());
            if (rng() % 3 == 0) input.resize(rng() % input.size());
            if (rng() % 3 == 0 && !input.empty()) input += input.substr(0, rng() % input.size());
        }
        frame_decoder d(4096 + rng() % 4096);
        std::size_t pos = 0;
        while (pos < input.size()) {
            const std::size_t chunk = 1 + rng() % 64;
            d.feed(std::string_view(input).substr(pos, chunk));
            pos += chunk;
            while (true) {
                auto n = d.next();
                if (!n) {
                    ++failures;
                    const auto& code = n.error().code;
                    CHECK((code == errc::frame_too_large || code == errc::unknown_frame_type ||
                           code == errc::malformed_frame));
                    pos = input.size();
                    break;
                }
                if (!*n) break;
                ++frames;
                // Whatever decodes must re-encode (it may have hit no limit on the way in).
                std::string again;
                (void)encode(**n, again, 1 << 20);
            }
        }
    }
    CHECK(failures > 0);
    CHECK(frames > 0);
}

TEST_CASE("the examples in docs/protocol.md are the exact bytes") {
    std::string out;
    REQUIRE(encode(heartbeat_frame{time_stamps{1, 2, 3}}, out));
    CHECK(out == std::string_view("\x00\x00\x00\x19\x08"
                                  "\x00\x00\x00\x00\x00\x00\x00\x01"
                                  "\x00\x00\x00\x00\x00\x00\x00\x02"
                                  "\x00\x00\x00\x00\x00\x00\x00\x03",
                                  29));
    out.clear();
    REQUIRE(encode(leave_frame{"bye"}, out));
    CHECK(out == std::string_view("\x00\x00\x00\x06\x09\x00\x03"
                                  "bye",
                                  10));
    out.clear();
    REQUIRE(encode(reply_frame{7, 2, std::nullopt, "", "", "{}"}, out));
    const char expected[] =
        "\x00\x00\x00\x18\x06"
        "\x00\x00\x00\x00\x00\x00\x00\x07"
        "\x00\x00\x00\x02"
        "\x00"
        "\x00\x00"
        "\x00\x00"
        "\x00\x00\x00\x02{}";
    CHECK(out == std::string_view(expected, sizeof(expected) - 1));
}

TEST_CASE("a handshake frame of another protocol version decodes to its version only") {
    // A version 1 challenge: version then the nonce, no time field. Version 2 has a time
    // field there; the decoder must not call it malformed, so the connector can answer
    // version_mismatch.
    std::string v1("\x00\x00\x00\x23\x01\x00\x01", 7);
    v1.append(32, '\x5a');
    frame_decoder d;
    d.feed(v1);
    auto f = d.next();
    REQUIRE(f);
    REQUIRE(*f);
    const auto& c = std::get<challenge_frame>(**f);
    CHECK(c.version == 1);
    CHECK(c.time == 0);
    // The same for a hello and a welcome with a future version and a body of any layout.
    for (std::uint8_t type : {std::uint8_t{2}, std::uint8_t{3}}) {
        std::string body("\x00\x07garbage", 9);
        auto back = decode_body(type, body);
        REQUIRE(back);
        CHECK(std::visit(
                  [](const auto& x) -> int {
                      if constexpr (requires { x.version; })
                          return x.version;
                      else
                          return -1;
                  },
                  *back) == 7);
    }
    // The current version is still parsed strictly.
    std::string current("\x00\x02garbage", 9);
    CHECK_FALSE(decode_body(1, current));
}

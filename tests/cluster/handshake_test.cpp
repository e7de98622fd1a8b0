#include "cluster/handshake.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <stdexcept>

#include "tests/support/failing_random.hpp"

using namespace hearth::cluster;

namespace {

cluster_config config(std::string secret = "s3cret") {
    auto cfg = parse_config(
        R"({"cluster":"demo","secret":"x","nodes":{"gate-1":"127.0.0.1:7101","game-1":"127.0.0.1:7201"}})");
    REQUIRE(cfg);
    cfg->secret = std::move(secret);
    return std::move(cfg).value();
}

// The connector's hello to game-1, signed over `challenge`.
hello_frame make_hello(const cluster_config& cfg, const nonce& challenge) {
    hello_frame h;
    h.codec = cfg.codec;
    h.max_frame = static_cast<std::uint32_t>(cfg.max_frame);
    h.heartbeat_ms = static_cast<std::uint32_t>(cfg.heartbeat.count());
    h.sender_incarnation = 1234;
    h.nonce = make_nonce();
    h.cluster = cfg.cluster;
    h.sender_node = "gate-1";
    h.target_node = "game-1";
    h.services = {"gate"};
    h.proof = hello_proof(cfg.secret, challenge, h);
    return h;
}

welcome_frame make_welcome(const cluster_config& cfg, const nonce& challenge, const hello_frame& h) {
    welcome_frame w;
    w.max_frame = static_cast<std::uint32_t>(cfg.max_frame);
    w.heartbeat_ms = 1000;
    w.node_incarnation = 5678;
    w.node = "game-1";
    w.services = {"room", "chat"};
    w.proof = welcome_proof(cfg.secret, challenge, h, w);
    return w;
}

}  // namespace

TEST_CASE("nonces and incarnations are random and non-zero") {
    CHECK(make_nonce() != make_nonce());
    CHECK(make_incarnation() != 0);
    CHECK(make_incarnation() != make_incarnation());
}

TEST_CASE("nonces are 32 bytes that differ across draws; incarnations differ and are never 0") {
    STATIC_REQUIRE(nonce_size == 32);
    STATIC_REQUIRE(sizeof(nonce) == 32);  // what protocol.md's `nonce` field carries
    std::set<nonce> nonces;
    for (int i = 0; i < 200; ++i) CHECK(nonces.insert(make_nonce()).second);
    // Every byte position varies across the draws (a nonce filled 4 bytes at a time from a
    // 32-bit source with a stuck byte, or zero-padded, would not).
    for (std::size_t pos = 0; pos < nonce_size; ++pos) {
        std::set<std::uint8_t> values;
        for (const auto& n : nonces) values.insert(n[pos]);
        CHECK(values.size() > 1);
    }
    std::set<std::uint64_t> incarnations;
    for (int i = 0; i < 1000; ++i) {
        const auto v = make_incarnation();
        CHECK(v != 0);
        CHECK(incarnations.insert(v).second);
    }
}

TEST_CASE("make_nonce and make_incarnation throw when the generator fails") {
    hearth::test::failing_random_guard no_random;
    CHECK_THROWS_AS(make_nonce(), std::runtime_error);
    CHECK_THROWS_AS(make_incarnation(), std::runtime_error);
}

TEST_CASE("a correct handshake verifies on both sides") {
    const auto cfg = config();
    const auto challenge = make_nonce();
    REQUIRE(check_challenge(challenge_frame{protocol_version, 1, challenge}));
    const auto h = make_hello(cfg, challenge);
    REQUIRE(check_hello(h, challenge, cfg, "game-1"));
    const auto w = make_welcome(cfg, challenge, h);
    REQUIRE(check_welcome(w, h, challenge, cfg));
}

TEST_CASE("the hello checks fail with the specific code") {
    const auto cfg = config();
    const auto challenge = make_nonce();
    const auto good = make_hello(cfg, challenge);

    auto h = good;
    h.version = protocol_version + 1;
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::version_mismatch);
    h = good;
    h.cluster = "other";
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::wrong_cluster);
    CHECK(check_hello(good, challenge, cfg, "gate-1").error() == errc::wrong_target);
    h = good;
    h.sender_node = "stranger";
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::unknown_node);
    h = good;
    h.sender_node = "game-1";
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::unknown_node);
    h = good;
    h.sender_incarnation = 0;
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::handshake_failed);
    h = good;
    h.codec = hearth::rpc::codec::msgpack;
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::codec_mismatch);
}

TEST_CASE("a wrong secret, a replayed hello or a tampered field fails the signature") {
    const auto cfg = config();
    const auto challenge = make_nonce();

    // Signed with another secret. (The hello's views point into the config: keep it named.)
    const auto other = config("other");
    const auto wrong = make_hello(other, challenge);
    const auto r = check_hello(wrong, challenge, cfg, "game-1");
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::bad_signature);
    CHECK(r.error().message.find("s3cret") == std::string::npos);

    // A hello recorded on one connection is replayed against a new challenge.
    const auto recorded = make_hello(cfg, challenge);
    CHECK(check_hello(recorded, make_nonce(), cfg, "game-1").error() == errc::bad_signature);

    // Every signed field is covered: change one after signing.
    auto h = recorded;
    h.sender_incarnation = 999;
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::bad_signature);
    h = recorded;
    h.services = {"gate", "admin"};
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::bad_signature);
    h = recorded;
    h.nonce[0] ^= 1;
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::bad_signature);
    h = recorded;
    h.heartbeat_ms += 1;
    CHECK(check_hello(h, challenge, cfg, "game-1").error() == errc::bad_signature);
}

TEST_CASE("the welcome proves the acceptor knows the secret and answered this hello") {
    const auto cfg = config();
    const auto challenge = make_nonce();
    const auto h = make_hello(cfg, challenge);
    const auto w = make_welcome(cfg, challenge, h);

    // A welcome recorded for another hello (other nonce) does not verify.
    const auto other_hello = make_hello(cfg, challenge);
    CHECK(check_welcome(w, other_hello, challenge, cfg).error() == errc::bad_signature);
    // Signed with another secret.
    const auto other = config("other");
    CHECK(check_welcome(make_welcome(other, challenge, h), h, challenge, cfg).error() == errc::bad_signature);
    auto t = w;
    t.services = {"room"};
    CHECK(check_welcome(t, h, challenge, cfg).error() == errc::bad_signature);
    t = w;
    t.node = "gate-1";
    CHECK(check_welcome(t, h, challenge, cfg).error() == errc::wrong_target);
    t = w;
    t.version = 9;
    CHECK(check_welcome(t, h, challenge, cfg).error() == errc::version_mismatch);
    CHECK(check_challenge(challenge_frame{9, 1, challenge}).error() == errc::version_mismatch);
}

TEST_CASE("proofs survive the wire: the decoded hello verifies") {
    const auto cfg = config();
    const auto challenge = make_nonce();
    const auto h = make_hello(cfg, challenge);
    std::string bytes;
    REQUIRE(encode(h, bytes));
    frame_decoder d;
    d.feed(bytes);
    auto n = d.next();
    REQUIRE(n);
    REQUIRE(*n);
    CHECK(check_hello(std::get<hello_frame>(**n), challenge, cfg, "game-1"));
}

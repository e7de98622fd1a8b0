// Each step of the cluster link handshake (cluster/handshake.hpp), as the connector ("sender")
// and as the acceptor ("agent") see it: the first frame a side reads is attacker-controlled.
//
// Input: 1 byte choosing the step, 1 byte of options (bit 0: sign the frame with the right
// secret, so the checks after the signature are reached), then the peer's bytes (frames).
//   step 0: the sender reads the challenge (or a reject) and answers with a hello;
//   step 1: the agent reads the hello and answers with a welcome or a reject;
//   step 2: the sender reads the welcome (or a reject) for the hello it sent;
//   step 3: either side reads a reject.
// Properties:
// - the checks fail only with their documented codes, in the documented order;
// - an accepted challenge/hello/welcome satisfies every condition the checks promise, and the
//   honest answer built from it is accepted by the other side's check (the two sides agree);
// - every failure becomes a reject frame that decodes to the same code and text (truncated
//   to max_text), as send_reject writes it.

#include <string>

#include "cluster/frame.hpp"
#include "cluster/handshake.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace hearth::cluster;

namespace {

const cluster_config& config() {
    static const cluster_config c = [] {
        auto r = parse_config(R"({"cluster":"demo","secret":"s3cret","heartbeat_ms":1000,
            "nodes":{"gate-1":"127.0.0.1:7101","game-1":"127.0.0.1:7102","old":null}})");
        if (!r) std::abort();
        return *r;
    }();
    return c;
}

constexpr std::string_view self_agent = "game-1";   // the acceptor
constexpr std::string_view self_sender = "gate-1";  // the connector, dialling game-1

nonce fixed_nonce(std::uint8_t fill) {
    nonce n;
    n.fill(fill);
    return n;
}

// What the sender sends after a good challenge (sender.cpp's hello, fixed incarnation).
hello_frame honest_hello(const nonce& challenge) {
    hello_frame h;
    h.codec = config().codec;
    h.max_frame = static_cast<std::uint32_t>(config().max_frame);
    h.heartbeat_ms = static_cast<std::uint32_t>(config().heartbeat.count());
    h.sender_incarnation = 0x1234;
    h.nonce = fixed_nonce(0xcc);
    h.cluster = config().cluster;
    h.sender_node = self_sender;
    h.target_node = self_agent;
    h.services = {"gate"};
    h.proof = hello_proof(config().secret, challenge, h);
    return h;
}

// What the agent answers to an accepted hello (agent.cpp's welcome, fixed incarnation).
welcome_frame honest_welcome(const nonce& challenge, const hello_frame& hello) {
    welcome_frame w;
    w.max_frame = static_cast<std::uint32_t>(config().max_frame);
    w.heartbeat_ms = static_cast<std::uint32_t>(config().heartbeat.count());
    w.node_incarnation = 0x5678;
    w.node = self_agent;
    w.services = {"room"};
    w.proof = welcome_proof(config().secret, challenge, hello, w);
    return w;
}

// send_reject's encoding must carry the failure to the peer intact.
void check_reject_round_trip(const failure& f) {
    const auto code = errc_of(f.code);
    FUZZ_CHECK(code.has_value(), "a handshake failure outside the cluster category");
    FUZZ_CHECK(!f.message.empty(), "a failure without a message");
    std::string out;
    reject_frame r;
    r.code = *code;
    r.text = f.message;
    FUZZ_CHECK(encode(frame{r}, out).has_value(), "a reject frame does not encode");
    frame_decoder d;
    d.feed(out);
    auto back = d.next();
    FUZZ_CHECK(back && *back, "a reject frame does not decode");
    const auto* rj = std::get_if<reject_frame>(&**back);
    FUZZ_CHECK(rj && rj->code == r.code, "the reject code changed on the wire");
    FUZZ_CHECK(rj->text.size() <= max_text && f.message.compare(0, rj->text.size(), rj->text) == 0,
               "the reject text is not a prefix of the failure message");
}

// The first whole frame of the input, or nothing when it fails to decode.
std::optional<frame> first_frame(frame_decoder& d, std::string_view bytes) {
    d.feed(bytes);
    auto f = d.next();
    if (!f) {
        // The agent rejects with the decoder's code; the sender just drops the link.
        check_reject_round_trip(f.error());
        return std::nullopt;
    }
    if (!*f) return std::nullopt;  // incomplete: the real side waits until its deadline
    return std::move(**f);
}

void sender_reads_challenge(std::string_view bytes) {
    frame_decoder d(config().max_frame);
    auto f = first_frame(d, bytes);
    if (!f) return;
    const auto* c = std::get_if<challenge_frame>(&*f);
    if (!c) return;  // a reject or any other frame ends the attempt (no reply is sent)
    auto ok = check_challenge(*c);
    if (!ok) {
        FUZZ_CHECK(ok.error().code == errc::version_mismatch && c->version != protocol_version,
                   "check_challenge failed for the wrong reason");
        check_reject_round_trip(failure{errc::version_mismatch, ok.error().message});
        return;
    }
    FUZZ_CHECK(c->version == protocol_version, "a challenge of another version was accepted");
    // The honest agent accepts the hello this challenge leads to.
    const auto hello = honest_hello(c->nonce);
    std::string out;
    FUZZ_CHECK(encode(frame{hello}, out).has_value(), "the sender's hello does not encode");
    FUZZ_CHECK(check_hello(hello, c->nonce, config(), self_agent).has_value(),
               "the agent refuses an honest hello");
}

void agent_reads_hello(std::string_view bytes, bool sign) {
    const nonce challenge = fixed_nonce(0xaa);
    frame_decoder d(config().max_frame);
    auto f = first_frame(d, bytes);
    if (!f) return;
    auto* hello = std::get_if<hello_frame>(&*f);
    if (!hello) {
        check_reject_round_trip(
            failure{errc::unexpected_frame,
                    "Expected a hello, got a " + std::string(to_string(type_of(*f))) + " frame."});
        return;
    }
    if (sign) hello->proof = hello_proof(config().secret, challenge, *hello);
    const auto ok = check_hello(*hello, challenge, config(), self_agent);

    // The documented order of the checks, restated.
    const bool limits_ok = hello->sender_incarnation != 0 && hello->max_frame >= min_max_frame &&
                           hello->heartbeat_ms >= min_heartbeat.count() &&
                           hello->heartbeat_ms <= max_heartbeat.count();
    const auto proof = hello_proof(config().secret, challenge, *hello);
    std::optional<errc> want;
    if (hello->version != protocol_version)
        want = errc::version_mismatch;
    else if (hello->cluster != config().cluster)
        want = errc::wrong_cluster;
    else if (hello->target_node != self_agent)
        want = errc::wrong_target;
    else if (hello->sender_node == self_agent || !config().contains(hello->sender_node))
        want = errc::unknown_node;
    else if (!limits_ok)
        want = errc::handshake_failed;
    else if (hello->codec != config().codec)
        want = errc::codec_mismatch;
    else if (as_bytes(proof) != as_bytes(hello->proof))
        want = errc::bad_signature;
    if (want) {
        FUZZ_CHECK(!ok && ok.error().code == *want, "check_hello failed with the wrong code or not at all");
        FUZZ_CHECK(ok.error().message.find(config().secret) == std::string::npos,
                   "a failure message shows the secret");
        check_reject_round_trip(ok.error());
        return;
    }
    FUZZ_CHECK(ok.has_value(), "check_hello refused a hello that meets every condition");
    // The agent's welcome is accepted by the sender that sent this hello.
    const auto w = honest_welcome(challenge, *hello);
    std::string out;
    FUZZ_CHECK(encode(frame{w}, out).has_value(), "the agent's welcome does not encode");
    const auto back = check_welcome(w, *hello, challenge, config());
    FUZZ_CHECK(back.has_value(), "the sender refuses the agent's honest welcome");
}

void sender_reads_welcome(std::string_view bytes, bool sign) {
    const nonce challenge = fixed_nonce(0xbb);
    const auto hello = honest_hello(challenge);
    frame_decoder d(config().max_frame);
    auto f = first_frame(d, bytes);
    if (!f) return;
    if (const auto* r = std::get_if<reject_frame>(&*f)) {
        FUZZ_CHECK(is_known(static_cast<int>(r->code)) && r->text.size() <= max_text,
                   "a bad reject was accepted");
        return;
    }
    auto* w = std::get_if<welcome_frame>(&*f);
    if (!w) return;
    if (sign) w->proof = welcome_proof(config().secret, challenge, hello, *w);
    const auto ok = check_welcome(*w, hello, challenge, config());
    const bool limits_ok = w->node_incarnation != 0 && w->max_frame >= min_max_frame &&
                           w->heartbeat_ms >= min_heartbeat.count() &&
                           w->heartbeat_ms <= max_heartbeat.count();
    const auto proof = welcome_proof(config().secret, challenge, hello, *w);
    std::optional<errc> want;
    if (w->version != protocol_version)
        want = errc::version_mismatch;
    else if (w->node != hello.target_node)
        want = errc::wrong_target;
    else if (!limits_ok)
        want = errc::handshake_failed;
    else if (as_bytes(proof) != as_bytes(w->proof))
        want = errc::bad_signature;
    if (want) {
        FUZZ_CHECK(!ok && ok.error().code == *want, "check_welcome failed with the wrong code or not at all");
        check_reject_round_trip(ok.error());
        return;
    }
    FUZZ_CHECK(ok.has_value(), "check_welcome refused a welcome that meets every condition");
}

void reads_reject(std::string_view bytes) {
    frame_decoder d(config().max_frame);
    auto f = first_frame(d, bytes);
    if (!f) return;
    if (const auto* r = std::get_if<reject_frame>(&*f)) {
        FUZZ_CHECK(is_known(static_cast<int>(r->code)), "a reject with an undefined code was accepted");
        FUZZ_CHECK(r->text.size() <= max_text, "a reject text over max_text was accepted");
        // Re-sent as is (a relay, or the log line), it round-trips.
        check_reject_round_trip(failure{r->code, std::string(r->text)});
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in = hearth::fuzz::as_view(data, size);
    const auto step = hearth::fuzz::take_le(in, 1) % 4;
    const bool sign = hearth::fuzz::take_le(in, 1) & 1;
    try {
        switch (step) {
            case 0:
                sender_reads_challenge(in);
                break;
            case 1:
                agent_reads_hello(in, sign);
                break;
            case 2:
                sender_reads_welcome(in, sign);
                break;
            default:
                reads_reject(in);
                break;
        }
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, std::string("the handshake threw: ") + e.what());
    }
    return 0;
}

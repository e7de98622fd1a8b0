// A whole cluster agent link (cluster/agent.hpp): a peer that passes the handshake honestly,
// then sends calls, notifies, heartbeats, leave frames, frames only the other side may send,
// and raw bytes, to a real node that runs in this process on 127.0.0.1. The agent is bound to
// a socket, so the bytes travel over loopback; one link per input.
//
// The handshake is done right by the harness (the fuzzer could not sign a hello), so every
// input reaches the agent's frame handling. The input is a list of operations:
//   0 call     flags:u8 call_id:u8 route:u8 n:u8 payload[n]
//   1 notify   flags:u8 route:u8 n:u8 payload[n]
//   2 heartbeat
//   3 leave    n:u8 reason[n]
//   4 a frame the connector must not send after the handshake (reply, hello, challenge)
//     which:u8
//   5 raw      n:u8 bytes[n]   (written as they are: broken framing, unknown types)
// flags: bit 0 wrong target node, bit 1 wrong incarnation, bits 2-3 deadline (none, in 10 s,
// already passed, 0xff..ff), bit 4 a client origin, bits 5-6 target service (echo, another
// known name, unknown, empty: encode refuses, so the op is skipped).
// After the operations, a last call (the sentinel, id 1,000,000) to echo.echo; after bad input
// (ops 3-5) the harness then ends its half of the stream.
//
// Properties:
// - the agent answers the sentinel or closes the link within a bound: it never hangs (after
//   bad input, the end of the peer's stream must end the link);
// - everything the agent writes decodes as frames, and after the welcome only reply,
//   heartbeat and leave frames;
// - no reply carries a call id the peer did not send, or answers an id more often than sent;
// - when the peer sent only well-formed frames (no op 4 or 5) and the link stays open until
//   the sentinel's reply, every call addressed to this node and incarnation was answered
//   exactly once before it (unknown service: not_found; passed deadline: timeout; a payload
//   the handler cannot decode: bad_request), and misaddressed calls were not answered.
//   Calls to echo run on one service in order, and the agent answers the others at once, so
//   the sentinel's reply comes last.

#include <chrono>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "cluster/cluster.hpp"
#include "cluster/frame.hpp"
#include "cluster/handshake.hpp"
#include "framework/node.hpp"
#include "framework/service.hpp"
#include "tests/fuzz/echo_service.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/loopback.hpp"

using namespace std::chrono_literals;
using namespace hearth::cluster;
using json = nlohmann::json;

namespace {

using hearth::fuzz::echo_m;
using hearth::fuzz::echo_service;
using hearth::fuzz::say_m;

constexpr std::string_view self = "fuzz-agent";
constexpr std::string_view peer = "x";
constexpr std::uint64_t sentinel_id = 1'000'000;

// Now in the cluster's time base: microseconds of this process's monotonic clock, what every
// stamp and deadline a node writes means (cluster/frame.hpp, time_stamps). The harness and the
// node share the process, so the peer's clock is the node's.
std::uint64_t wire_now() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

hearth::node* the_node = nullptr;
cluster_config the_config;
std::uint16_t the_port = 0;

// A blocking frame reader over the loopback client.
class frame_reader {
  public:
    explicit frame_reader(hearth::fuzz::loopback_client& c) : client_(c) {}

    enum class status { frame, closed, timeout };

    // The next frame into `out` (views valid until the next call).
    status next(frame& out, std::chrono::steady_clock::time_point until) {
        for (;;) {
            auto f = decoder_.next();
            FUZZ_CHECK(f.has_value(), "the agent wrote bytes that do not decode: " + f.error().message);
            if (*f) {
                out = std::move(**f);
                return status::frame;
            }
            std::string bytes;
            const auto r = client_.read_some(bytes, until);
            if (r == hearth::fuzz::loopback_client::read_result::timeout) return status::timeout;
            if (r == hearth::fuzz::loopback_client::read_result::closed) return status::closed;
            decoder_.feed(bytes);
        }
    }

  private:
    hearth::fuzz::loopback_client& client_;
    frame_decoder decoder_;
};

std::string encoded(const frame& f) {
    std::string out;
    FUZZ_CHECK(encode(f, out).has_value(), "the harness built a frame encode refuses");
    return out;
}

// The connector's side of the handshake, done right; returns the agent's incarnation.
std::uint64_t handshake(hearth::fuzz::loopback_client& client, frame_reader& reader) {
    const auto until = std::chrono::steady_clock::now() + 5s;
    frame f;
    FUZZ_CHECK(reader.next(f, until) == frame_reader::status::frame, "no challenge from the agent");
    const auto* c = std::get_if<challenge_frame>(&f);
    FUZZ_CHECK(c != nullptr, "the agent's first frame is not a challenge");
    const auto challenge = c->nonce;
    hello_frame h;
    h.codec = the_config.codec;
    h.max_frame = static_cast<std::uint32_t>(the_config.max_frame);
    h.heartbeat_ms = static_cast<std::uint32_t>(the_config.heartbeat.count());
    h.sender_incarnation = 42;
    const auto now = wire_now();
    h.stamps = time_stamps{c->time, now, now};
    h.nonce = make_nonce();
    h.cluster = the_config.cluster;
    h.sender_node = peer;
    h.target_node = self;
    h.proof = hello_proof(the_config.secret, challenge, h);
    FUZZ_CHECK(client.write(encoded(h)), "the agent closed during the handshake");
    FUZZ_CHECK(reader.next(f, until) == frame_reader::status::frame, "no welcome from the agent");
    const auto* w = std::get_if<welcome_frame>(&f);
    FUZZ_CHECK(w != nullptr, "the agent refused an honest hello");
    return w->node_incarnation;
}

struct byte_reader {
    std::string_view in;
    bool empty() const { return in.empty(); }
    std::uint8_t u8() {
        if (in.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(in.front());
        in.remove_prefix(1);
        return b;
    }
    std::string_view bytes(std::size_t n) {
        n = std::min(n, in.size());
        auto out = in.substr(0, n);
        in.remove_prefix(n);
        return out;
    }
};

// What the peer sent, and what the agent owes it.
struct expectation {
    std::map<std::uint64_t, int> sent;      // call id -> calls sent with it (any address)
    std::map<std::uint64_t, int> answered;  // call id -> calls the agent must answer
    bool well_formed = true;                // no op 4 or 5 was used
};

constexpr std::string_view services[] = {"echo", "gate", "nobody", ""};
constexpr std::string_view routes[] = {"echo.echo", "echo.say", "echo.missing", "nobody.x", "gate.push"};

// Builds the request fields of one call or notify from `flags`; false when encode would refuse it.
bool fill_request(request_frame& r, std::uint8_t flags, std::uint8_t route, std::string_view payload,
                  std::uint64_t incarnation, bool& addressed_here) {
    r.target_node = (flags & 1) ? std::string_view("someone") : self;
    r.target_incarnation = (flags & 2) ? incarnation + 1 : incarnation;
    const auto now = wire_now();
    switch ((flags >> 2) & 3) {
        case 0:
            r.deadline = 0;
            break;
        case 1:
            r.deadline = now + 10'000'000;
            break;
        case 2:
            r.deadline = now > 1'000'000 ? now - 1'000'000 : 1;
            break;
        default:
            r.deadline = ~std::uint64_t{0};
            break;
    }
    if (flags & 16) r.origin = client_origin{"gate-1", 7, "player-1"};
    r.target_service = services[(flags >> 5) & 3];
    r.route = routes[route % std::size(routes)];
    r.payload = payload;
    r.source_service = "fuzzer";
    addressed_here = !(flags & 3);
    return !r.target_service.empty();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    hearth::node_config c;
    c.name = std::string(self);
    c.threads = 1;
    c.log_level = "off";
    the_node = new hearth::node(c);
    the_node->add_service<echo_service>("echo");
    auto cfg = parse_config(R"({"cluster":"fuzz","secret":"s3cret","heartbeat_ms":1000,
        "nodes":{"fuzz-agent":"127.0.0.1:1","x":null}})");
    if (!cfg) std::abort();
    auto cl = cluster::create(*the_node);
    auto port = cl->listen({"127.0.0.1", 0});
    if (!port) std::abort();
    the_port = *port;
    cfg->nodes[std::string(self)] = endpoint{"127.0.0.1", *port};
    the_config = *cfg;
    if (!cl->start(*cfg)) std::abort();
    the_node->start();
    static auto keep = cl;  // the cluster lives as long as the process
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    hearth::fuzz::loopback_client client(the_port);
    FUZZ_CHECK(client.connected(), "cannot connect to the agent: " + client.error());
    frame_reader reader(client);
    const std::uint64_t incarnation = handshake(client, reader);

    // Encode every operation first, then write them in one go.
    byte_reader in{hearth::fuzz::as_view(data, size)};
    expectation want;
    std::string out;
    while (!in.empty()) {
        switch (in.u8() % 6) {
            case 0: {
                const auto flags = in.u8();
                const auto id = in.u8();
                const auto route = in.u8();
                const auto payload = in.bytes(in.u8());
                call_frame c;
                bool here = false;
                if (!fill_request(c, flags, route, payload, incarnation, here)) break;
                c.call_id = id;
                c.reply_to_worker = id % 3;
                if (!encode(c, out)) break;
                ++want.sent[c.call_id];
                if (here) ++want.answered[c.call_id];
                break;
            }
            case 1: {
                const auto flags = in.u8();
                const auto route = in.u8();
                const auto payload = in.bytes(in.u8());
                notify_frame n;
                bool here = false;
                if (fill_request(n, flags, route, payload, incarnation, here)) (void)encode(n, out);
                break;
            }
            case 2: {
                heartbeat_frame hb;
                const auto now = wire_now();
                hb.stamps = time_stamps{0, 0, now};
                out += encoded(hb);
                break;
            }
            case 3: {
                leave_frame l;
                l.reason = in.bytes(in.u8());
                out += encoded(l);
                want.well_formed = false;  // the agent may end the link after a leave
                break;
            }
            case 4: {
                want.well_formed = false;
                switch (in.u8() % 3) {
                    case 0: {
                        reply_frame r;
                        r.call_id = 5;
                        r.payload = "{}";
                        out += encoded(r);
                        break;
                    }
                    case 1: {
                        hello_frame h;
                        h.cluster = the_config.cluster;
                        h.sender_node = peer;
                        h.target_node = self;
                        out += encoded(h);
                        break;
                    }
                    default: {
                        challenge_frame ch;
                        out += encoded(ch);
                        break;
                    }
                }
                break;
            }
            default:
                want.well_formed = false;
                out += in.bytes(in.u8());
                break;
        }
    }
    call_frame last;
    bool here = false;
    fill_request(last, 0, 0, R"({"last":true})", incarnation, here);
    last.call_id = sentinel_id;
    out += encoded(last);
    ++want.sent[sentinel_id];
    ++want.answered[sentinel_id];

    const bool written = client.write(out);  // false: the agent hung up (allowed after bad input)
    // After bad input the sentinel may sit inside a frame the agent still waits to complete:
    // the end of the stream tells the agent nothing more comes (it must then end the link).
    if (!want.well_formed) client.shutdown_send();

    // Read until the sentinel's reply or the end of the link.
    std::map<std::uint64_t, int> replies;
    const auto until = std::chrono::steady_clock::now() + 10s;
    bool closed = false;
    for (bool done = false; !done;) {
        frame f;
        const auto s = reader.next(f, until);
        FUZZ_CHECK(s != frame_reader::status::timeout, "the agent neither answered the last call nor closed");
        if (s == frame_reader::status::closed) {
            closed = true;
            break;
        }
        if (std::holds_alternative<heartbeat_frame>(f) || std::holds_alternative<leave_frame>(f)) continue;
        const auto* r = std::get_if<reply_frame>(&f);
        FUZZ_CHECK(r != nullptr,
                   "the agent sent a frame other than reply, heartbeat or leave after the welcome");
        const auto it = want.sent.find(r->call_id);
        FUZZ_CHECK(
            it != want.sent.end() && replies[r->call_id] < it->second,
            "a reply to an id not sent, or answered more often than sent: " + std::to_string(r->call_id));
        ++replies[r->call_id];
        if (r->call_id == sentinel_id) done = true;
    }
    if (want.well_formed && written) {
        FUZZ_CHECK(!closed, "the agent closed a link that sent only well-formed frames");
        for (const auto& [id, n] : want.answered)
            FUZZ_CHECK(replies[id] == n, "call " + std::to_string(id) + " was answered " +
                                             std::to_string(replies[id]) + " times, not " +
                                             std::to_string(n));
        for (const auto& [id, n] : replies)
            FUZZ_CHECK(n <= want.answered[id], "a misaddressed call " + std::to_string(id) + " was answered");
    }
    return 0;
}

// A whole gate connection (session::gate over TCP): handshake, ack, requests, notifies,
// heartbeats and garbage, written in random splits to a real gate that runs in this process
// on 127.0.0.1. The connection classes are bound to a socket, so the input travels over
// loopback; one connection per input (about a millisecond).
//
// Input: 4 bytes seeding the split sizes, then the client's byte stream.
// Properties:
// - every Request the gate accepted gets exactly one Response, or the connection closes; a
//   connection that neither answers nor closes within the idle timeout is a hang;
// - no Response answers an id the client did not send (or answers one more often than sent);
// - everything the gate sends is well-formed: packets with valid types, handshake replies
//   that are JSON with a code, Data packets that decode as Responses or Pushes;
// - the gate closes the connection after a protocol error (the model below predicts which
//   inputs are errors, from client-protocol.md);
// - with resume on (docs/resume.md), a handshake with sys.resume (whatever its token) is a new
//   session like any other: fuzz inputs cannot hold a valid token.
// Sanitizer reports on the gate's own threads are caught like any other.

#include <chrono>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "framework/node.hpp"
#include "framework/service.hpp"
#include "session/compression.hpp"
#include "session/gate.hpp"
#include "session/handshake.hpp"
#include "session/message.hpp"
#include "session/packet.hpp"
#include "tests/fuzz/echo_service.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/loopback.hpp"

using namespace std::chrono_literals;
using namespace hearth::session;
using json = nlohmann::json;

namespace {

using hearth::fuzz::echo_m;
using hearth::fuzz::echo_service;
using hearth::fuzz::say_m;

constexpr auto idle_close = 2 * 250ms;  // twice the heartbeat below

std::shared_ptr<const route_dictionary> dictionary() {
    static auto d = [] {
        auto r = std::make_shared<route_dictionary>();
        (void)r->add("echo.echo", 1);
        (void)r->add("echo.say", 2);
        (void)r->add("onMessage", 3);
        return std::shared_ptr<const route_dictionary>(r);
    }();
    return d;
}

hearth::node* the_node = nullptr;
gate* the_gate = nullptr;

// What the gate must do with the client's bytes (client-protocol.md), restated.
struct prediction {
    std::map<std::uint64_t, int> requests;  // id -> how many accepted Requests carry it
    bool closes = false;                    // a protocol error or a refused handshake
};

prediction predict(std::string_view stream) {
    prediction p;
    enum { awaiting_handshake, awaiting_ack, working } state = awaiting_handshake;
    packet_decoder dec(the_gate->options().max_packet_body);
    std::error_code ec = dec.feed(stream, [&](const packet& pk) {
        if (p.closes) return;
        switch (pk.type) {
            case packet_type::handshake: {
                if (state != awaiting_handshake) {
                    p.closes = true;
                    return;
                }
                handshake_request r;
                if (parse_handshake(pk.body, r)) {
                    p.closes = true;  // refused with a 400, then closed
                    return;
                }
                state = awaiting_ack;
                return;
            }
            case packet_type::handshake_ack:
                if (state != awaiting_ack) p.closes = true;
                state = working;
                return;
            case packet_type::heartbeat:
                return;
            case packet_type::data: {
                if (state != working) {
                    p.closes = true;
                    return;
                }
                message m;
                if (decode_message(pk.body, dictionary().get(), m)) {
                    p.closes = true;
                    return;
                }
                if (m.zlib) {
                    std::string inflated;
                    if (inflate_payload(m.payload, inflated, the_gate->options().max_packet_body)) {
                        p.closes = true;
                        return;
                    }
                }
                if (m.type == message_type::request)
                    ++p.requests[m.id];
                else if (m.type != message_type::notify)
                    p.closes = true;
                return;
            }
            default:
                p.closes = true;
                return;
        }
    });
    if (ec) p.closes = true;
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    hearth::node_config c;
    c.name = "fuzz-gate";
    c.threads = 1;
    c.log_level = "off";
    the_node = new hearth::node(c);
    gate_options o;
    o.host = "127.0.0.1";
    o.tcp_port = 0;
    o.ws_port = -1;
    o.heartbeat = idle_close / 2;
    o.handshake_timeout = 250ms;
    o.kick_flush_timeout = 250ms;
    o.request_timeout = 250ms;
    o.dictionary = dictionary();
    // Resume on: every input's session parks when its connection ends (briefly, and a few at
    // most), and handshakes carrying sys.resume take the refusal paths.
    o.resume.enabled = true;
    o.resume.grace = 250ms;
    o.resume.buffer_packets = 64;
    o.resume.max_parked_sessions = 16;
    the_gate = &the_node->add_service<gate>("gate", o);
    the_node->add_service<echo_service>("echo");
    the_node->start();
    if (!the_gate->wait_listening(10s)) std::abort();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in = hearth::fuzz::as_view(data, size);
    hearth::fuzz::splitter split(static_cast<std::uint32_t>(hearth::fuzz::take_le(in, 4)));
    const prediction want = predict(in);

    hearth::fuzz::loopback_client client(the_gate->tcp_port());
    FUZZ_CHECK(client.connected(), "cannot connect to the gate: " + client.error());
    for (std::string_view rest = in; !rest.empty();) {
        const std::size_t n = split.next(rest.size());
        if (!client.write(rest.substr(0, n))) break;  // the gate hung up (allowed after an error)
        rest.remove_prefix(n);
    }

    // Read until every accepted Request is answered or the gate closes.
    auto unanswered = want.requests;
    std::size_t pending = 0;
    for (const auto& [id, n] : unanswered) pending += static_cast<std::size_t>(n);
    packet_decoder from_gate(max_packet_body_limit);
    bool closed = false;
    bool got_handshake_reply = false;
    std::string bytes;
    // Generous: the gate closes an idle connection after idle_close; a loaded machine is slow.
    const auto until = std::chrono::steady_clock::now() + idle_close + 5s;
    while (pending > 0 || want.closes) {
        bytes.clear();
        const auto r = client.read_some(bytes, until);
        if (r == hearth::fuzz::loopback_client::read_result::timeout) {
            FUZZ_CHECK(false, want.closes ? "the gate did not close after a protocol error"
                                          : "the gate neither answered every Request nor closed");
        }
        if (r == hearth::fuzz::loopback_client::read_result::closed) {
            closed = true;
            break;
        }
        const auto ec = from_gate.feed(bytes, [&](const packet& p) {
            switch (p.type) {
                case packet_type::handshake: {
                    FUZZ_CHECK(!got_handshake_reply, "two handshake replies");
                    got_handshake_reply = true;
                    const auto j = json::parse(p.body, nullptr, false);
                    FUZZ_CHECK(!j.is_discarded() && j.contains("code"),
                               "a handshake reply that is not JSON with a code");
                    return;
                }
                case packet_type::heartbeat:
                    return;
                case packet_type::kick:
                    FUZZ_CHECK(!p.body.empty(), "an empty kick");
                    return;
                case packet_type::data: {
                    message m;
                    FUZZ_CHECK(!decode_message(p.body, dictionary().get(), m),
                               "the gate sent a malformed message");
                    FUZZ_CHECK(m.type == message_type::response || m.type == message_type::push,
                               "the gate sent a Request or Notify");
                    if (m.type == message_type::response) {
                        auto it = unanswered.find(m.id);
                        FUZZ_CHECK(
                            it != unanswered.end() && it->second > 0,
                            "a Response to an id not sent, or answered twice: " + std::to_string(m.id));
                        --it->second;
                        --pending;
                    }
                    return;
                }
                default:
                    FUZZ_CHECK(false, "the gate sent a handshake_ack packet");
            }
        });
        FUZZ_CHECK(!ec, "the gate's output does not decode: " + ec.message());
    }
    if (!want.closes) FUZZ_CHECK(pending == 0 || closed, "unanswered Requests on an open connection");
    return 0;
}

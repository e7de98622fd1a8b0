// The pieces of session resume that need no socket (docs/resume.md): the replay buffer's
// numbering and bounds, the token's shape, sys.resume in a client handshake and in the reply,
// and the "resume" block of the gate options.

#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "session/detail/replay_buffer.hpp"
#include "session/detail/resume_token.hpp"
#include "session/gate_options.hpp"
#include "session/handshake.hpp"
#include "session/resume.hpp"

using json = nlohmann::json;
namespace session = hearth::session;
using session::detail::replay_buffer;
using namespace std::chrono_literals;

TEST_CASE("replay buffer: numbers from 1, keeps the newest within its bounds, replays after K") {
    replay_buffer b;
    CHECK(b.last() == 0);
    CHECK(b.first() == 1);
    CHECK(b.covers(0));  // nothing sent, nothing missed
    CHECK_FALSE(b.covers(1));
    CHECK(b.add("aaaa") == 1);
    CHECK(b.add(std::make_shared<const std::string>("bb")) == 2);  // shared: no copy
    CHECK(b.add("cccccc") == 3);
    CHECK(b.bytes() == 12);
    CHECK(b.packets() == 3);
    std::string replayed;
    CHECK(b.for_each_after(1, [&](const replay_buffer::entry& e) { replayed += e.bytes(); }) == 2);
    CHECK(replayed == "bbcccccc");
    CHECK(b.over(11, 10));
    CHECK(b.over(100, 2));
    b.trim(8, 10);  // drops packet 1 (4 bytes): 8 left
    CHECK(b.first() == 2);
    CHECK(b.bytes() == 8);
    CHECK(b.covers(1));        // packets 2.. are all here
    CHECK_FALSE(b.covers(0));  // packet 1 is gone
    CHECK(b.covers(3));        // the client has everything
    CHECK_FALSE(b.covers(4));  // more than was sent
    CHECK(b.add("d") == 4);    // numbering goes on after a trim
    b.clear();
    CHECK(b.bytes() == 0);
    CHECK(b.last() == 4);
}

TEST_CASE("resume tokens: 128 random bits after the session id, parsed strictly") {
    std::set<std::string> secrets;
    for (int i = 0; i < 1000; ++i) {
        const auto s = session::detail::make_resume_secret();
        REQUIRE(s.size() == 32);
        REQUIRE(s.find_first_not_of("0123456789abcdef") == std::string::npos);
        secrets.insert(s);
    }
    CHECK(secrets.size() == 1000);
    const auto secret = session::detail::make_resume_secret();
    const auto token = session::detail::format_resume_token(0x1234501, secret);
    CHECK(token == "1234501." + secret);
    std::uint64_t id = 0;
    std::string back;
    REQUIRE(session::detail::parse_resume_token(token, id, back));
    CHECK(id == 0x1234501);
    CHECK(back == secret);
    for (const char* bad :
         {"", ".", "1.", ".0123456789abcdef0123456789abcdef", "1.0123456789abcdef0123456789abcde",
          "1.0123456789abcdef0123456789abcdefa", "1.0123456789ABCDEF0123456789abcdef",
          "x1.0123456789abcdef0123456789abcdef", "-1.0123456789abcdef0123456789abcdef",
          "12345678901234567.0123456789abcdef0123456789abcdef"})
        CHECK_FALSE(session::detail::parse_resume_token(bad, id, back));
}

TEST_CASE("sys.resume in a client handshake") {
    auto status = [](const char* text, session::resume_request& r) {
        session::handshake_request h;
        REQUIRE_FALSE(session::parse_handshake(text, h));
        return session::parse_resume_request(h, r);
    };
    session::resume_request r;
    using st = session::resume_request_status;
    CHECK(status(R"({"sys":{"type":"js"}})", r) == st::absent);
    CHECK(status(R"({})", r) == st::absent);
    CHECK(status(R"({"sys":{"resume":null}})", r) == st::absent);
    CHECK(status(R"({"sys":{"resume":{"token":"a.b","received":42}}})", r) == st::valid);
    CHECK(r.token == "a.b");
    CHECK(r.received == 42);
    CHECK(status(R"({"sys":{"resume":{"token":"a.b","received":0}}})", r) == st::valid);
    CHECK(r.received == 0);
    CHECK(status(R"({"sys":{"resume":{"token":"a.b"}}})", r) == st::malformed);  // the count is required
    CHECK(status(R"({"sys":{"resume":"a.b"}})", r) == st::malformed);
    CHECK(status(R"({"sys":{"resume":{"received":1}}})", r) == st::malformed);
    CHECK(status(R"({"sys":{"resume":{"token":7,"received":1}}})", r) == st::malformed);
    CHECK(status(R"({"sys":{"resume":{"token":"a.b","received":-1}}})", r) == st::malformed);
    CHECK(status(R"({"sys":{"resume":{"token":"a.b","received":1.5}}})", r) == st::malformed);
    CHECK(status(R"({"sys":{"resume":{"token":"a.b","received":"3"}}})", r) == st::malformed);
}

TEST_CASE("sys.resume in the handshake reply, byte for byte (docs/resume.md)") {
    const session::resume_grant g{"300.c41d2a9e07b35f68e1a4d90b2c7f3e15", 30s, true};
    CHECK(
        session::handshake_reply(30s, 1796205600, nullptr, &g) ==
        R"({"code":200,"sys":{"heartbeat":30,"servertime":1796205600,"resume":{"token":"300.c41d2a9e07b35f68e1a4d90b2c7f3e15","grace":30,"resumed":true}}})");
    const session::resume_grant h{"1.x", 1500ms, false};
    CHECK(json::parse(session::handshake_reply(30s, 1, nullptr, &h))["sys"]["resume"] ==
          json{{"token", "1.x"}, {"grace", 1.5}, {"resumed", false}});
    CHECK_FALSE(json::parse(session::handshake_reply(30s, 1))["sys"].contains("resume"));
}

TEST_CASE("gate options: the resume block") {
    auto o = session::gate_options::from_json(json::parse(
        R"({"resume":{"enabled":true,"grace_ms":5000,"buffer_bytes":4096,"buffer_packets":64,"max_parked_sessions":10}})"));
    REQUIRE(o);
    CHECK(o->resume.enabled);
    CHECK(o->resume.grace == 5s);
    CHECK(o->resume.buffer_bytes == 4096);
    CHECK(o->resume.buffer_packets == 64);
    CHECK(o->resume.max_parked_sessions == 10);
    const session::gate_options defaults;
    CHECK_FALSE(defaults.resume.enabled);
    for (const char* bad :
         {R"({"resume":true})", R"({"resume":{"enabled":1}})", R"({"resume":{"grace_ms":0}})",
          R"({"resume":{"buffer_bytes":-1}})", R"({"resume":{"buffer_packets":0}})",
          R"({"resume":{"max_parked_sessions":1.5}})", R"({"resume":{"graze_ms":10}})"}) {
        auto r = session::gate_options::from_json(json::parse(bad));
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("resume") != std::string::npos);
    }
}

#include "session/gate_options.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using hearth::session::gate_options;
using json = nlohmann::json;

namespace {

// The code of the failure from_json returns for `text`; no code when it parses.
std::error_code refusal(const char* text) {
    const auto o = gate_options::from_json(json::parse(text));
    return o ? std::error_code{} : o.error().code;
}

}  // namespace

TEST_CASE("gate options: numbers are range-checked before any conversion") {
    // tests/fuzz/gate_options_fuzz.cpp found a huge timer converted to an integer (undefined
    // behaviour); the same conversions also let 0.5 become a 0 ms timer and 2^64-1 wrap to the
    // port -1 (disabled).
    CHECK(refusal(R"({"heartbeat_ms":1e300})") == std::errc::invalid_argument);
    CHECK(refusal(R"({"request_timeout_ms":0.5})") == std::errc::invalid_argument);
    CHECK(refusal(R"({"handshake_timeout_ms":86400001})") == std::errc::invalid_argument);
    CHECK(refusal(R"({"tcp_port":18446744073709551615})") == std::errc::invalid_argument);
    CHECK(refusal(R"({"max_connections":-3})") == std::errc::invalid_argument);

    const auto o =
        gate_options::from_json(json::parse(R"({"heartbeat_ms":1.9,"kick_flush_timeout_ms":86400000})"))
            .value();
    CHECK(o.heartbeat == std::chrono::milliseconds(1));
    CHECK(o.kick_flush_timeout == std::chrono::milliseconds(86400000));
}

TEST_CASE("gate options: integers built in code count like parsed ones") {
    json j;  // nlohmann stores these as signed integers
    j["tcp_port"] = -1;
    j["ws_port"] = 4000;
    j["max_connections"] = 10;
    j["max_packet_body"] = 1024;
    const auto o = gate_options::from_json(j).value();
    CHECK(o.tcp_port == -1);
    CHECK(o.ws_port == 4000);
    CHECK(o.max_connections == 10);
    CHECK(o.max_packet_body == 1024);
}

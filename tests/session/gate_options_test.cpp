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

TEST_CASE("gate options: per-address limits in JSON", "[address_limits]") {
    const auto d = gate_options::from_json(json::object()).value();
    CHECK(d.max_connections_per_address == 0);  // off by default
    CHECK(d.connection_rate_per_address == 0);
    CHECK(d.exempt_loopback);
    CHECK(d.trusted_networks.empty());

    const auto o = gate_options::from_json(json::parse(R"({"max_connections_per_address":8,
        "connection_rate_per_address":2.5,"connection_burst_per_address":10,
        "trusted_networks":["10.0.0.0/8","::1/128","192.168.0.1"],"exempt_loopback":false})"))
                       .value();
    CHECK(o.max_connections_per_address == 8);
    CHECK(o.connection_rate_per_address == 2.5);
    CHECK(o.connection_burst_per_address == 10);
    CHECK(o.trusted_networks == std::vector<std::string>{"10.0.0.0/8", "::1/128", "192.168.0.1"});
    CHECK_FALSE(o.exempt_loopback);

    const auto message = [](const char* text) {
        const auto r = gate_options::from_json(json::parse(text));
        REQUIRE_FALSE(r);
        CHECK(r.error().code == std::errc::invalid_argument);
        return r.error().message;
    };
    CHECK(message(R"({"trusted_networks":["10.0.0.0/8","10.0.0.0/33"]})").find("'10.0.0.0/33'") !=
          std::string::npos);
    CHECK(message(R"({"trusted_networks":["::1/129"]})").find("'::1/129'") != std::string::npos);
    CHECK(message(R"({"trusted_networks":["example.com"]})").find("'example.com'") != std::string::npos);
    CHECK(message(R"({"trusted_networks":"10.0.0.0/8"})").find("array") != std::string::npos);
    CHECK(message(R"({"trusted_networks":[8]})").find("trusted_networks") != std::string::npos);
    CHECK(message(R"({"max_connections_per_address":-1})").find("max_connections_per_address") !=
          std::string::npos);
    CHECK(message(R"({"max_connections_per_address":1.5})").find("max_connections_per_address") !=
          std::string::npos);
    CHECK(message(R"({"connection_rate_per_address":-2})").find("connection_rate_per_address") !=
          std::string::npos);
    CHECK(message(R"({"connection_rate_per_address":"5"})").find("connection_rate_per_address") !=
          std::string::npos);
    CHECK(message(R"({"connection_burst_per_address":0.5})").find("connection_burst_per_address") !=
          std::string::npos);
    CHECK(message(R"({"exempt_loopback":1})").find("exempt_loopback") != std::string::npos);
}

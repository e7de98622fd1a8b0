#include "session/error.hpp"

#include <set>
#include <string>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using namespace hearth::session;
namespace rpc = hearth::rpc;
using nlohmann::json;

TEST_CASE("session errors have names and full-sentence messages") {
    for (int i = 1; i <= static_cast<int>(errc::heartbeat_timeout); ++i) {
        const auto e = static_cast<errc>(i);
        INFO(i);
        REQUIRE(to_string(e) != "unknown");
        const std::error_code ec = e;
        REQUIRE(ec.category().name() == std::string("hearth.session"));
        const auto msg = ec.message();
        REQUIRE(std::isupper(static_cast<unsigned char>(msg.front())));
        REQUIRE(msg.back() == '.');
    }
    REQUIRE(to_string(static_cast<errc>(999)) == "unknown");
    REQUIRE(std::error_code(static_cast<errc>(999)).message().back() == '.');
    REQUIRE(std::error_code(errc::bad_varint) != std::error_code(rpc::errc::timeout));
}

TEST_CASE("session errors: names round-trip through errc_of, the protocol-violation condition") {
    std::set<std::string> names;
    for (int i = 1; i <= static_cast<int>(errc::heartbeat_timeout); ++i) {
        const auto e = static_cast<errc>(i);
        INFO(to_string(e));
        REQUIRE(names.insert(std::string(to_string(e))).second);
        const std::error_code ec = e;
        REQUIRE(errc_of(ec) == e);
        const bool not_a_violation = e == errc::handshake_timeout || e == errc::heartbeat_timeout ||
                                     e == errc::route_too_long || e == errc::bad_dictionary;
        CHECK((ec == condition::protocol_violation) == !not_a_violation);
    }
    CHECK(to_string(errc::packet_too_large) == "packet_too_large");  // names are metric labels
    CHECK_FALSE(errc_of(std::make_error_code(std::errc::connection_reset)).has_value());
    CHECK_FALSE(errc_of(std::error_code(static_cast<int>(errc::bad_varint), rpc::category())).has_value());
    CHECK_FALSE(std::make_error_code(std::errc::connection_reset) == condition::protocol_violation);
    CHECK(std::error_condition(condition::protocol_violation).category().name() ==
          std::string("hearth.session.condition"));
}

TEST_CASE("call errors map to the client codes of contract section 5") {
    REQUIRE(client_error_code(rpc::errc::not_found) == "not_found");
    REQUIRE(client_error_code(rpc::errc::bad_request) == "bad_request");
    REQUIRE(client_error_code(rpc::errc::timeout) == "timeout");
    REQUIRE(client_error_code(rpc::errc::unreachable) == "unavailable");
    REQUIRE(client_error_code(rpc::errc::overloaded) == "overloaded");
    REQUIRE(client_error_code(rpc::errc::handler_failed) == "internal");
    REQUIRE(client_error_code(rpc::errc::cancelled) == "internal");
    REQUIRE(client_error_code(rpc::errc::remote_error) == "internal");
    REQUIRE(client_error_code(static_cast<rpc::errc>(77)) == "internal");
    REQUIRE(client_error_code(rpc::app_error("room_full", "The room is full.")) == "room_full");
    REQUIRE(client_error_code(rpc::error{rpc::errc::remote_error, "x"}) == "internal");
}

TEST_CASE("error payloads") {
    REQUIRE(error_payload(rpc::app_error("room_full", "The room is full.")) ==
            R"({"code":"room_full","message":"The room is full."})");
    REQUIRE(error_payload(rpc::error{rpc::errc::timeout, "no reply within 5000 ms"}) ==
            R"({"code":"timeout","message":"no reply within 5000 ms"})");
    // Empty message: the rpc sentence.
    auto j = json::parse(error_payload(rpc::error{rpc::errc::not_found}));
    REQUIRE(j["code"] == "not_found");
    REQUIRE(j["message"] == "The target service or method does not exist.");
    // Handler exceptions do not leak.
    j = json::parse(error_payload(rpc::error{rpc::errc::handler_failed, "std::out_of_range at db.cpp:42"}));
    REQUIRE(j["code"] == "internal");
    REQUIRE(j["message"] == "The handler failed with an exception.");
    // Escaping and invalid UTF-8.
    std::string out = "prefix";
    append_error_payload(out, "x", std::string_view("q\"\n\xff", 4));
    REQUIRE(out.rfind("prefix", 0) == 0);
    j = json::parse(out.substr(6));
    REQUIRE(j["code"] == "x");
}

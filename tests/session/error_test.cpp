#include "session/error.hpp"

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

// cluster::errc through the table-fed category: names, sentences, the reject-frame check
// (is_known), the checked conversion from std::error_code, and the two conditions.

#include "cluster/error.hpp"

#include <cctype>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "cluster/outcome.hpp"

using namespace hearth::cluster;

namespace {

constexpr int first = static_cast<int>(errc::bad_config);
constexpr int last = static_cast<int>(errc::certificate_mismatch);  // the last code (error.hpp)

}  // namespace

TEST_CASE("cluster errors: every code has a distinct name and a full-sentence message") {
    std::set<std::string> names;
    for (int i = first; i <= last; ++i) {
        const auto e = static_cast<errc>(i);
        INFO(i);
        REQUIRE(is_known(i));
        const auto name = std::string(to_string(e));
        REQUIRE(name != "unknown");
        REQUIRE(names.insert(name).second);
        const std::error_code ec = e;
        REQUIRE(ec.category().name() == std::string("hearth.cluster"));
        REQUIRE(&ec.category() == &category());
        const auto msg = ec.message();
        REQUIRE(std::isupper(static_cast<unsigned char>(msg.front())));
        REQUIRE(msg.back() == '.');
        REQUIRE(errc_of(ec) == e);
    }
    CHECK(to_string(errc::frame_too_large) == "frame_too_large");  // names are metric labels
    CHECK_FALSE(is_known(0));
    CHECK_FALSE(is_known(last + 1));
    CHECK(to_string(static_cast<errc>(last + 1)) == "unknown");
    CHECK(std::error_code(static_cast<errc>(last + 1)).message().back() == '.');
}

TEST_CASE("cluster errors: errc_of refuses codes of other categories") {
    CHECK_FALSE(errc_of(std::make_error_code(std::errc::connection_reset)).has_value());
    CHECK_FALSE(errc_of(std::error_code(static_cast<int>(errc::bad_signature), std::generic_category())));
    CHECK_FALSE(errc_of(std::error_code(last + 1, category())).has_value());
}

TEST_CASE("cluster errors: the handshake-failure and protocol-violation conditions") {
    const std::set<errc> handshake{
        errc::handshake_failed, errc::wrong_cluster,     errc::wrong_target,
        errc::unknown_node,     errc::bad_signature,     errc::version_mismatch,
        errc::codec_mismatch,   errc::handshake_timeout, errc::certificate_mismatch};
    const std::set<errc> protocol{errc::frame_too_large, errc::unknown_frame_type, errc::malformed_frame,
                                  errc::unexpected_frame};
    for (int i = first; i <= last; ++i) {
        const auto e = static_cast<errc>(i);
        INFO(to_string(e));
        const std::error_code ec = e;
        CHECK((ec == condition::handshake_failure) == (handshake.count(e) == 1));
        CHECK((ec == condition::protocol_violation) == (protocol.count(e) == 1));
    }
    // A failure compares with a condition too, and a socket error matches neither.
    const failure f{errc::wrong_cluster, ""};
    CHECK(f == condition::handshake_failure);
    CHECK(f == errc::wrong_cluster);
    CHECK(f.message == std::error_code(errc::wrong_cluster).message());
    const std::error_code reset = std::make_error_code(std::errc::connection_reset);
    CHECK_FALSE(reset == condition::handshake_failure);
    CHECK_FALSE(reset == condition::protocol_violation);
    CHECK(std::error_condition(condition::protocol_violation).category().name() ==
          std::string("hearth.cluster.condition"));
    CHECK(std::error_condition(condition::handshake_failure).message().back() == '.');
}

TEST_CASE("cluster outcome: checked value(), unchecked *, error() on failure") {
    outcome<int> ok = 4;
    REQUIRE(ok);
    CHECK(ok.value() == 4);
    CHECK(*ok == 4);
    outcome<int> bad = failure{errc::bad_config, "Node 'a.b': the name is not valid."};
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == errc::bad_config);
    CHECK(bad.code() == errc::bad_config);
    try {
        (void)bad.value();
        FAIL("value() did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == errc::bad_config);
        CHECK(std::string(e.what()).find("Node 'a.b': the name is not valid.") == 0);
    }
}

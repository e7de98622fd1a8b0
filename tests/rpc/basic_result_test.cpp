// The contract of basic_result (rpc/basic_result.hpp), the same for rpc::result and
// rpc::outcome (= cluster::outcome): checked value(), unchecked * and ->, error() on failure.

#include "rpc/basic_result.hpp"

#include <memory>
#include <string>
#include <system_error>
#include <type_traits>

#include <catch2/catch.hpp>

#include "rpc/failure.hpp"
#include "rpc/result.hpp"

using namespace hearth::rpc;

TEST_CASE("result and outcome are one template") {
    STATIC_REQUIRE(std::is_same_v<result<int>, basic_result<int, error>>);
    STATIC_REQUIRE(std::is_same_v<outcome<int>, basic_result<int, failure>>);
    STATIC_REQUIRE(std::is_same_v<result<void>::error_type, error>);
}

TEST_CASE("a value: has_value, value(), * and -> give it") {
    result<std::string> r = std::string("abc");
    REQUIRE(r.has_value());
    REQUIRE(static_cast<bool>(r));
    CHECK(r.value() == "abc");
    CHECK(*r == "abc");
    CHECK(r->size() == 3);
    r->push_back('d');  // a reference to the held value, not a copy
    CHECK(*r == "abcd");
    const std::string moved = std::move(r).value();
    CHECK(moved == "abcd");

    outcome<std::unique_ptr<int>> o = std::make_unique<int>(5);  // move-only values
    REQUIRE(o);
    CHECK(**o == 5);
    auto p = std::move(o).value();
    CHECK(*p == 5);

    result<int> zero;  // a default-constructed result holds a value-initialized T
    REQUIRE(zero);
    CHECK(*zero == 0);
}

TEST_CASE("an error: error() and code() give it, value() throws a system_error") {
    result<int> bad = error{errc::timeout, "No reply within 5 ms."};
    REQUIRE_FALSE(bad.has_value());
    REQUIRE_FALSE(bad);
    CHECK(bad.code() == errc::timeout);
    CHECK(bad.error().message == "No reply within 5 ms.");
    try {
        (void)bad.value();
        FAIL("value() did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == make_error_code(errc::timeout));
        CHECK(std::string(e.what()).find("timeout: No reply within 5 ms.") == 0);
    }
    CHECK_THROWS_AS(bad.value(), bad_result_access);

    outcome<int> failed =
        failure{std::make_error_code(std::errc::invalid_argument), "The key 'x' is unknown."};
    REQUIRE_FALSE(failed);
    CHECK(failed.code() == std::errc::invalid_argument);
    CHECK(failed.error() == std::make_error_code(std::errc::invalid_argument));
    try {
        (void)failed.value();
        FAIL("value() did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::invalid_argument);
        CHECK(std::string(e.what()).find("The key 'x' is unknown.") == 0);
    }
}

TEST_CASE("an error from a code and a sentence; an empty sentence becomes the code's own") {
    result<int> r = errc::not_found;
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::not_found);
    CHECK(r.error().message.empty());
    CHECK(r.error().describe() == "not_found: " + make_error_code(errc::not_found).message());

    outcome<int> o(std::make_error_code(std::errc::timed_out), "");
    REQUIRE_FALSE(o);
    CHECK(o.error().message == std::make_error_code(std::errc::timed_out).message());

    // A result whose value type takes an enum too (nlohmann::json does) still reads a code as
    // an error: the code-and-sentence constructor wins over converting the code to T.
    struct anything {
        anything() = default;
        anything(errc) {}
    };
    result<anything> a = errc::overloaded;
    CHECK_FALSE(a);
}

TEST_CASE("the void results: success by default, checked value(), error() on failure") {
    result<void> ok;
    REQUIRE(ok);
    CHECK_NOTHROW(ok.value());
    result<void> bad = app_error("room_full", "The room is full.");
    REQUIRE_FALSE(bad);
    CHECK(bad.code() == errc::remote_error);
    CHECK(bad.error().app_code == "room_full");
    CHECK_THROWS_AS(bad.value(), bad_result_access);

    outcome<void> fine;
    REQUIRE(fine.has_value());
    outcome<void> refused(std::make_error_code(std::errc::permission_denied), "The token is wrong.");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "The token is wrong.");
    CHECK_THROWS_AS(refused.value(), std::system_error);
}

TEST_CASE("the error moves out of an rvalue result") {
    result<int> bad = error{errc::bad_request, std::string(100, 'x')};
    const error e = std::move(bad).error();
    CHECK(e.message.size() == 100);
    outcome<void> o(std::make_error_code(std::errc::io_error), "The disk is gone.");
    const failure f = std::move(o).error();
    CHECK(f.message == "The disk is gone.");
}

// The error-category mechanism (rpc/error_table.hpp) with a table of its own: names, messages,
// unknown values, conditions and the checked conversion from std::error_code.

#include "rpc/error_table.hpp"

#include <string>
#include <system_error>

#include <catch2/catch.hpp>

namespace demo {

enum class errc { late = 1, garbled, lost };
enum class condition { transport = 1 };

const std::error_category& condition_category() noexcept;
const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}
inline std::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

}  // namespace demo

template <>
struct std::is_error_code_enum<demo::errc> : std::true_type {};
template <>
struct std::is_error_condition_enum<demo::condition> : std::true_type {};

namespace demo {
namespace {

using hearth::rpc::error_entry;
using hearth::rpc::table_category;

constexpr error_entry<errc> codes[] = {
    {errc::late, "late", "The reply came too late."},
    {errc::garbled, "garbled", "The reply was garbled.", static_cast<int>(condition::transport)},
    {errc::lost, "lost", "The reply was lost.", static_cast<int>(condition::transport)},
};
constexpr error_entry<condition> conditions[] = {
    {condition::transport, "transport", "The transport failed."},
};

const table_category<condition>& condition_table() noexcept {
    static const table_category<condition> instance{"demo.condition", conditions, "An unknown condition."};
    return instance;
}
const table_category<errc>& table() noexcept {
    static const table_category<errc> instance{"demo", codes, "An unknown demo error.", &condition_category};
    return instance;
}

}  // namespace

const std::error_category& condition_category() noexcept {
    return condition_table();
}
const std::error_category& category() noexcept {
    return table();
}

}  // namespace demo

TEST_CASE("a table category: names, messages and unknown values come from the table") {
    const auto& t = demo::table();
    CHECK(std::string(t.name()) == "demo");
    CHECK(&demo::category() == &demo::category());  // a singleton: categories compare by address
    CHECK(std::error_code(demo::errc::garbled).message() == "The reply was garbled.");
    CHECK(t.message(99) == "An unknown demo error.");
    CHECK(t.name_of(demo::errc::lost) == "lost");
    CHECK(t.name_of(static_cast<demo::errc>(0)) == "unknown");
    CHECK(t.from_name("late") == demo::errc::late);
    CHECK_FALSE(t.from_name("early").has_value());
    CHECK(t.is_known(3));
    CHECK_FALSE(t.is_known(4));
}

TEST_CASE("a table category: conditions match their codes only") {
    const std::error_code late = demo::errc::late, garbled = demo::errc::garbled, lost = demo::errc::lost;
    CHECK(garbled == demo::condition::transport);
    CHECK(lost == demo::condition::transport);
    CHECK_FALSE(late == demo::condition::transport);
    CHECK(garbled.default_error_condition() == demo::condition::transport);
    CHECK(late.default_error_condition() == std::error_condition(1, demo::category()));
    // A code of another category with the same value is not a transport failure.
    CHECK_FALSE(std::error_code(2, std::generic_category()) == demo::condition::transport);
}

TEST_CASE("a table category: the checked conversion from std::error_code") {
    const auto& t = demo::table();
    CHECK(t.code_of(demo::errc::lost) == demo::errc::lost);
    // The same value in another category is not a demo code.
    CHECK_FALSE(t.code_of(std::error_code(3, std::generic_category())).has_value());
    CHECK_FALSE(t.code_of(std::error_code(7, demo::category())).has_value());
}

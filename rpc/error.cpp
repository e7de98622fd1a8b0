#include "rpc/error.hpp"

#include <iterator>
#include <string>

#include "rpc/error_table.hpp"
#include "rpc/result.hpp"

namespace hearth::rpc {
namespace {

constexpr error_entry<errc> codes[] = {
    {errc::timeout, "timeout", "The call did not get a reply within its timeout."},
    {errc::unreachable, "unreachable", "The target node is unknown, down, or was removed."},
    {errc::not_found, "not_found", "The target service or method does not exist."},
    {errc::bad_request, "bad_request", "The request payload could not be decoded."},
    {errc::overloaded, "overloaded", "A bounded queue on the way to the target is full."},
    {errc::cancelled, "cancelled", "The call was cancelled."},
    {errc::handler_failed, "handler_failed", "The handler failed with an exception."},
    {errc::remote_error, "remote_error", "The handler returned an application error."},
};
static_assert(std::size(codes) == static_cast<std::size_t>(errc::remote_error), "one row per errc");

const table_category<errc>& table() noexcept {
    static const table_category<errc> instance{"hearth.rpc", codes, "An unknown Hearth call error occurred."};
    return instance;
}

}  // namespace

const std::error_category& category() noexcept {
    return table();
}

std::string_view to_string(errc e) noexcept {
    return table().name_of(e);
}

std::optional<errc> errc_from_string(std::string_view name) noexcept {
    return table().from_name(name);
}

std::optional<errc> errc_of(const std::error_code& ec) noexcept {
    return table().code_of(ec);
}

std::optional<errc> errc_from_int(int value) noexcept {
    if (!table().is_known(value)) return std::nullopt;
    return static_cast<errc>(value);
}

std::string error::describe() const {
    std::string out(to_string(code));
    if (!app_code.empty()) out += "(" + app_code + ")";
    out += ": ";
    out += message.empty() ? make_error_code(code).message() : message;
    return out;
}

void throw_exception_from_error(const error& e) {
    throw bad_result_access(make_error_code(e.code), e.describe());
}

}  // namespace hearth::rpc

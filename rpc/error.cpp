#include "rpc/error.hpp"

#include <array>
#include <string>

namespace hearth::rpc {
namespace {

struct code_info {
    errc code;
    std::string_view name;
    const char* sentence;
};

constexpr std::array<code_info, 8> codes{{
    {errc::timeout, "timeout", "The call did not get a reply within its timeout."},
    {errc::unreachable, "unreachable", "The target node is unknown, down, or was removed."},
    {errc::not_found, "not_found", "The target service or method does not exist."},
    {errc::bad_request, "bad_request", "The request payload could not be decoded."},
    {errc::overloaded, "overloaded", "A bounded queue on the way to the target is full."},
    {errc::cancelled, "cancelled", "The call was cancelled."},
    {errc::handler_failed, "handler_failed", "The handler failed with an exception."},
    {errc::remote_error, "remote_error", "The handler returned an application error."},
}};

const code_info* find(errc e) noexcept {
    for (const auto& c : codes)
        if (c.code == e) return &c;
    return nullptr;
}

class category_impl final : public std::error_category {
  public:
    const char* name() const noexcept override { return "hearth.rpc"; }
    std::string message(int ev) const override {
        const auto* c = find(static_cast<errc>(ev));
        return c ? c->sentence : "An unknown Hearth call error occurred.";
    }
};

}  // namespace

const std::error_category& category() noexcept {
    static const category_impl instance;
    return instance;
}

std::string_view to_string(errc e) noexcept {
    const auto* c = find(e);
    return c ? c->name : std::string_view{"unknown"};
}

std::optional<errc> errc_from_string(std::string_view name) noexcept {
    for (const auto& c : codes)
        if (c.name == name) return c.code;
    return std::nullopt;
}

}  // namespace hearth::rpc

#include "rpc/result.hpp"

namespace hearth::rpc {

std::string error::describe() const {
    std::string out(to_string(code));
    if (!app_code.empty()) out += "(" + app_code + ")";
    out += ": ";
    out += message.empty() ? category().message(static_cast<int>(code)) : message;
    return out;
}

}  // namespace hearth::rpc

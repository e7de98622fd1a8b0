#include "framework/address.hpp"

namespace hearth {

bool valid_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 128) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_' || c == ':';
        if (!ok) return false;
    }
    return true;
}

std::optional<address_view> parse_address(std::string_view text) noexcept {
    const auto at = text.find('@');
    address_view a;
    if (at == std::string_view::npos) {
        a.service = text;
    } else {
        a.service = text.substr(0, at);
        a.node = text.substr(at + 1);
        if (!valid_name(a.node)) return std::nullopt;
    }
    if (!valid_name(a.service)) return std::nullopt;
    return a;
}

}  // namespace hearth

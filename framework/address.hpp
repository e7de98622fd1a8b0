#pragma once
// Service addresses: "room" (this node) or "room@game-1" (a named node).

#include <optional>
#include <string_view>

namespace hearth {

struct address_view {
    std::string_view service;
    std::string_view node;  ///< empty: the calling node

    bool is_local_to(std::string_view self) const noexcept { return node.empty() || node == self; }
};

/// Parses "service" or "service@node". Names are non-empty and contain neither '@' nor
/// whitespace; anything else yields nullopt.
std::optional<address_view> parse_address(std::string_view text) noexcept;

/// True for a valid service or node name (non-empty, at most 128 bytes, letters, digits and
/// "-_:" only).
bool valid_name(std::string_view name) noexcept;

}  // namespace hearth

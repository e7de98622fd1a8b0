#pragma once
// The route dictionary of client-protocol.md section 4: route <-> uint16 code, sent to clients
// in the handshake reply ("dict"); from then on either side may send the 2-byte code instead of
// the route string.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "session/error.hpp"

namespace hearth::session {

/// Immutable once built and shared: lookups are const and safe from any thread concurrently.
/// A gate holds one and every session refers to it.
class route_dictionary {
  public:
    route_dictionary() = default;

    /// Builds from a JSON object {"room.join": 1, ...}. Returns bad_dictionary (and leaves *this
    /// unchanged) unless `j` is an object whose keys are non-empty routes of at most 255 bytes
    /// and whose values are integers 0..65535, with no code used twice.
    [[nodiscard]] std::error_code assign(const nlohmann::json& j);
    /// As above, from a map route -> code.
    [[nodiscard]] std::error_code assign(const std::map<std::string, std::uint16_t>& routes);

    /// Adds one entry; bad_dictionary if the route is empty or too long, or route or code is
    /// already present.
    [[nodiscard]] std::error_code add(std::string_view route, std::uint16_t code);

    /// The code of a route, if it has one.
    std::optional<std::uint16_t> code(std::string_view route) const noexcept;
    /// The route of a code, if known. The view is valid while the dictionary is not modified
    /// or destroyed (decoded messages point into it).
    std::optional<std::string_view> route(std::uint16_t code) const noexcept;

    /// Calls f(std::uint16_t code, std::string_view route) for every entry, in code order.
    template <class F>
    void for_each(F&& f) const {
        for (const auto& [code, route] : by_code_) f(code, std::string_view{route});
    }

    bool empty() const noexcept { return by_code_.empty(); }
    std::size_t size() const noexcept { return by_code_.size(); }

    /// The handshake "dict" object {"route": code, ...}.
    nlohmann::json to_json() const;

  private:
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    std::unordered_map<std::string, std::uint16_t, string_hash, std::equal_to<>> by_route_;
    // Sorted by code: binary search on decode, ordered iteration for the handshake reply.
    std::vector<std::pair<std::uint16_t, std::string>> by_code_;
};

}  // namespace hearth::session

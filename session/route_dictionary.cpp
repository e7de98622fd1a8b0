#include "session/route_dictionary.hpp"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

namespace hearth::session {
namespace {
constexpr std::size_t max_route_size = 255;  // plain routes carry a one-byte length

template <class Vector>
auto lower_bound_code(Vector& v, std::uint16_t code) {
    return std::lower_bound(v.begin(), v.end(), code,
                            [](const auto& e, std::uint16_t c) { return e.first < c; });
}
}  // namespace

std::error_code route_dictionary::add(std::string_view route, std::uint16_t code) {
    if (route.empty() || route.size() > max_route_size) return errc::bad_dictionary;
    const auto at = lower_bound_code(by_code_, code);
    if (by_route_.find(route) != by_route_.end() || (at != by_code_.end() && at->first == code))
        return errc::bad_dictionary;
    by_route_.emplace(std::string(route), code);
    by_code_.emplace(at, code, std::string(route));
    return {};
}

std::error_code route_dictionary::assign(const nlohmann::json& j) {
    if (!j.is_object()) return errc::bad_dictionary;
    route_dictionary built;
    for (const auto& [route, value] : j.items()) {
        if (!value.is_number_integer()) return errc::bad_dictionary;
        // Unsigned and signed JSON integers both arrive here; compare without narrowing first.
        const bool in_range =
            value.is_number_unsigned()
                ? value.get<std::uint64_t>() <= std::numeric_limits<std::uint16_t>::max()
                : value.get<std::int64_t>() >= 0 &&
                      value.get<std::int64_t>() <= std::numeric_limits<std::uint16_t>::max();
        if (!in_range) return errc::bad_dictionary;
        if (auto ec = built.add(route, static_cast<std::uint16_t>(value.get<std::int64_t>()))) return ec;
    }
    *this = std::move(built);
    return {};
}

std::error_code route_dictionary::assign(const std::map<std::string, std::uint16_t>& routes) {
    route_dictionary built;
    for (const auto& [route, code] : routes)
        if (auto ec = built.add(route, code)) return ec;
    *this = std::move(built);
    return {};
}

std::optional<std::uint16_t> route_dictionary::code(std::string_view route) const noexcept {
    const auto it = by_route_.find(route);
    if (it == by_route_.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string_view> route_dictionary::route(std::uint16_t code) const noexcept {
    const auto it = lower_bound_code(by_code_, code);
    if (it == by_code_.end() || it->first != code) return std::nullopt;
    return std::string_view{it->second};
}

nlohmann::json route_dictionary::to_json() const {
    auto j = nlohmann::json::object();
    for (const auto& [code, route] : by_code_) j[route] = code;
    return j;
}

}  // namespace hearth::session

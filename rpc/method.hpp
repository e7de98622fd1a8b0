#pragma once
// method<Req, Resp>: a typed descriptor shared by caller and callee.
//
//   inline constexpr hearth::rpc::method<join_req, join_resp> join{"room.join"};
//
// The route is "service.method". Resp = void declares a one-way method (notify only).
// A route without exactly one '.' separating two non-empty names fails to compile when the
// descriptor is constexpr.

#include <string_view>
#include <type_traits>

namespace hearth::rpc {

/// Checks the "service.method" grammar; usable in constant expressions.
constexpr bool valid_route(std::string_view route) noexcept {
    const auto dot = route.find('.');
    return dot != std::string_view::npos && dot > 0 && dot + 1 < route.size() &&
           route.find('.', dot + 1) == std::string_view::npos && route.find('@') == std::string_view::npos &&
           route.size() <= 255;
}

template <class Req, class Resp>
struct method {
    using request_type = Req;
    using response_type = Resp;
    static constexpr bool one_way = std::is_void_v<Resp>;

    std::string_view route;

    constexpr explicit method(std::string_view r) : route(r) {
        if (!valid_route(r)) throw "hearth::rpc::method: a route is \"service.method\"";
    }

    /// "room" of "room.join".
    constexpr std::string_view service() const noexcept { return route.substr(0, route.find('.')); }
    /// "join" of "room.join".
    constexpr std::string_view name() const noexcept { return route.substr(route.find('.') + 1); }
};

template <class T>
struct is_method : std::false_type {};
template <class Req, class Resp>
struct is_method<method<Req, Resp>> : std::true_type {};

}  // namespace hearth::rpc

#pragma once
// How the emplacing call(method, timeout, args...) builds its request (framework/call.hpp).

#include <concepts>
#include <type_traits>
#include <utility>

namespace hearth::detail {

/// `Req` can be built from `Args`: by a constructor, or as an aggregate with braces (GCC 12
/// also accepts parentheses for aggregates; clang 14 does not).
template <class Req, class... Args>
concept request_from = std::constructible_from<Req, Args...> ||
    (std::is_aggregate_v<Req>&& requires(Args&&... args) { Req{std::forward<Args>(args)...}; });

/// The request of an emplacing call: `Req(args...)`, `Req{args...}` for an aggregate, or a
/// value-initialized `Req{}` without arguments.
template <class Req, class... Args>
Req make_request(Args&&... args) {
    if constexpr (sizeof...(Args) == 0)
        return Req{};
    else if constexpr (std::is_aggregate_v<Req>)
        return Req{std::forward<Args>(args)...};
    else
        return Req(std::forward<Args>(args)...);
}

}  // namespace hearth::detail

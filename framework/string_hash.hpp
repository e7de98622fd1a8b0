#pragma once
// A transparent string hash: unordered containers keyed by std::string that look up with a
// std::string_view (or a const char*) without building a std::string.

#include <cstddef>
#include <functional>
#include <string_view>

namespace hearth {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace hearth

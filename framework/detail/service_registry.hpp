#pragma once
// An immutable name → service map. The node publishes a new one on every change; workers keep
// their own reference and refresh it when the node's version moves, so lookups take no lock.

#include <string>
#include <string_view>
#include <unordered_map>

#include "framework/string_hash.hpp"

namespace hearth {
class service;
}

namespace hearth::detail {

using hearth::string_hash;

struct service_registry {
    std::unordered_map<std::string, service*, string_hash, std::equal_to<>> by_name;

    service* find(std::string_view name) const noexcept {
        auto it = by_name.find(name);
        return it == by_name.end() ? nullptr : it->second;
    }
};

}  // namespace hearth::detail

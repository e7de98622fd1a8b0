#include "framework/client_replies.hpp"

#include <atomic>

namespace hearth {
namespace {
std::atomic<client_reply_route> installed_route{nullptr};
std::atomic<std::uint64_t> effects{0};
}  // namespace

void set_client_reply_route(client_reply_route route) noexcept {
    installed_route.store(route, std::memory_order_release);
}

client_reply_route current_client_reply_route() noexcept {
    return installed_route.load(std::memory_order_acquire);
}

void note_remote_client_effect() noexcept {
    effects.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t remote_client_effects() noexcept {
    return effects.load(std::memory_order_relaxed);
}

}  // namespace hearth

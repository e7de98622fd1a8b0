#include "cluster/backoff.hpp"

#include <algorithm>

namespace hearth::cluster {

backoff::backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, std::uint64_t seed)
    : base_(std::max(base, std::chrono::milliseconds(1))), cap_(std::max(cap, base_)) {
    // Not the cryptographic generator on purpose: jitter only spreads reconnect attempts so
    // peers do not retry in lockstep; guessing it gains an attacker nothing, and tests seed it
    // for reproducible delays. std::random_device is enough to make nodes differ.
    if (seed == 0) seed = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    rng_.seed(seed);
}

std::chrono::milliseconds backoff::bound() const noexcept {
    // Doubling stops at the cap; the shift is bounded so it never overflows.
    const auto shift = std::min(attempt_, 30u);
    const auto grown = base_.count() * (std::int64_t{1} << shift);
    return std::chrono::milliseconds(std::min<std::int64_t>(grown, cap_.count()));
}

std::chrono::milliseconds backoff::next() {
    const auto b = bound();
    if (attempt_ < 64) ++attempt_;
    std::uniform_int_distribution<std::int64_t> pick(0, b.count());
    return std::chrono::milliseconds(pick(rng_));
}

void backoff::set_limits(std::chrono::milliseconds base, std::chrono::milliseconds cap) noexcept {
    base_ = std::max(base, std::chrono::milliseconds(1));
    cap_ = std::max(cap, base_);
}

}  // namespace hearth::cluster

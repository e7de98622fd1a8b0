#include "session/detail/address_limits.hpp"

#include <cmath>

#include "session/gate_options.hpp"

namespace hearth::session::detail {

std::vector<ip_network> loopback_networks() {
    return {*ip_network::parse("127.0.0.0/8"), *ip_network::parse("::1/128")};
}

std::optional<address_limits_config> address_limits_config::from(const gate_options& o, std::string& error) {
    address_limits_config c;
    c.max_connections = o.max_connections_per_address;
    if (!(o.connection_rate_per_address >= 0) || !std::isfinite(o.connection_rate_per_address)) {
        error = "gate option 'connection_rate_per_address' must be a number >= 0.";
        return std::nullopt;
    }
    const double burst = o.connection_burst_per_address;
    if (!std::isfinite(burst) || !(burst == 0 || burst >= 1)) {
        error = "gate option 'connection_burst_per_address' must be 0 (= max(1, rate)) or a number >= 1.";
        return std::nullopt;
    }
    c.rate = o.connection_rate_per_address;
    c.burst = burst > 0 ? burst : std::max(1.0, c.rate);
    for (const auto& text : o.trusted_networks) {
        auto n = ip_network::parse(text);
        if (!n) {
            error = "gate option 'trusted_networks': '" + text +
                    "' is not a network (CIDR such as \"10.0.0.0/8\" or \"::1/128\").";
            return std::nullopt;
        }
        c.exempt.push_back(*n);
    }
    if (o.exempt_loopback)
        for (const auto& n : loopback_networks()) c.exempt.push_back(n);
    return c;
}

address_limits::address_limits(address_limits_config config)
    : config_(std::move(config)),
      refill_(config_.rate > 0 ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(config_.burst / config_.rate)) +
                                     std::chrono::steady_clock::duration(1)
                               : std::chrono::steady_clock::duration::zero()) {}

bool address_limits::exempt(const address_key& a) const noexcept {
    for (const auto& n : config_.exempt)
        if (n.contains(a)) return true;
    return false;
}

address_limits::verdict address_limits::admit(const address_key& a, time_point now) {
    sweep(now);
    if (!config_.enabled() || exempt(a)) return verdict::untracked;
    auto [it, inserted] = table_.try_emplace(a, entry{0, token_bucket(config_.burst, now), {}});
    entry& e = it->second;
    // The count first: a connection refused for it does not spend a token.
    if (config_.max_connections > 0 && e.connections >= config_.max_connections) return verdict::too_many;
    if (config_.rate > 0 && !e.bucket.take(config_.rate, config_.burst, now)) return verdict::too_fast;
    ++e.connections;
    return verdict::admitted;
}

void address_limits::release(const address_key& a, time_point now) {
    auto it = table_.find(a);
    if (it != table_.end() && it->second.connections > 0 && --it->second.connections == 0) {
        if (config_.rate > 0) {
            it->second.idle_since = now;
            idle_.emplace_back(a, now);
        } else {
            table_.erase(it);  // no bucket to wait for
        }
    }
    sweep(now);
}

void address_limits::sweep(time_point now) {
    while (!idle_.empty() && idle_.front().second + refill_ <= now) {
        const auto [a, since] = idle_.front();
        idle_.pop_front();
        auto it = table_.find(a);
        if (it != table_.end() && it->second.connections == 0 && it->second.idle_since == since)
            table_.erase(it);
    }
}

std::optional<address_limits::time_point> address_limits::next_expiry() const {
    if (idle_.empty()) return std::nullopt;
    return idle_.front().second + refill_;
}

std::uint32_t address_limits::connections(const address_key& a) const {
    auto it = table_.find(a);
    return it == table_.end() ? 0 : it->second.connections;
}

}  // namespace hearth::session::detail

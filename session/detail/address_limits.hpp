#pragma once
// The per-address connection limits of a gate (gate_options: max_connections_per_address,
// connection_rate_per_address, connection_burst_per_address, trusted_networks,
// exempt_loopback): a table of client addresses with their open connections and a token bucket
// on new connections. Private to the session module.
//
// Threads: one owner. The gate's table lives on its home worker, where every listener's accept
// loop runs (the check happens right after accept, before any byte is read, before a TLS or
// WebSocket handshake); a connection that closes on another worker gives its slot back by
// posting to the home worker (address_lease). So an accept costs one hash lookup (plus a scan
// of the exempt networks) on the home worker and a close one post; nothing is locked and the
// per-message path never touches the table.
//
// Memory: an entry per address with open connections, or whose bucket is not full yet. It is
// removed when its last connection closed and its bucket is full again (burst / rate seconds
// later at most; at once when only the connection count is limited): about 100 bytes per
// address (key 16, count 4, bucket 16, idle time 8, plus the hash node), and 24 bytes per close
// in the idle queue for at most burst / rate seconds.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "session/detail/ip_network.hpp"
#include "session/detail/token_bucket.hpp"

namespace hearth::session {
struct gate_options;
}

namespace hearth::session::detail {

struct address_limits_config {
    std::size_t max_connections = 0;  ///< per address; 0 = no limit
    double rate = 0;                  ///< new connections per second per address; 0 = no limit
    double burst = 1;                 ///< bucket size (>= 1), used when rate > 0
    std::vector<ip_network> exempt;   ///< trusted networks (and loopback when exempt)

    bool enabled() const noexcept { return max_connections > 0 || rate > 0; }

    /// The configuration `o` asks for, or a sentence naming the first bad value (an invalid
    /// CIDR in trusted_networks, a negative rate, a burst between 0 and 1).
    static std::optional<address_limits_config> from(const gate_options& o, std::string& error);
};

/// 127.0.0.0/8 and ::1/128.
std::vector<ip_network> loopback_networks();

class address_limits {
  public:
    using time_point = std::chrono::steady_clock::time_point;

    enum class verdict {
        untracked,  ///< limits off, or the address is exempt: no slot taken, nothing to release
        admitted,   ///< a slot taken: release() it when the connection ends
        too_many,   ///< max_connections open from this address
        too_fast,   ///< the address's bucket is empty
    };

    explicit address_limits(address_limits_config config);

    const address_limits_config& config() const noexcept { return config_; }
    /// Decides about a new connection from `a` at `now`; only `admitted` takes a slot.
    verdict admit(const address_key& a, time_point now);
    /// An admitted connection from `a` ended.
    void release(const address_key& a, time_point now);
    /// Removes the entries whose time came (no connections and a full bucket).
    void sweep(time_point now);
    /// When the next entry can be removed by sweep(), if one waits.
    std::optional<time_point> next_expiry() const;

    std::size_t size() const noexcept { return table_.size(); }  ///< addresses tracked
    std::uint32_t connections(const address_key& a) const;       ///< open, admitted ones

  private:
    struct entry {
        std::uint32_t connections = 0;
        token_bucket bucket;
        time_point idle_since{};  // when connections last dropped to 0
    };

    bool exempt(const address_key& a) const noexcept;

    address_limits_config config_;
    std::chrono::steady_clock::duration refill_;  // burst / rate: an idle bucket is full by then
    std::unordered_map<address_key, entry, address_key_hash> table_;
    // Addresses whose connections dropped to 0, oldest first (an item is stale when the entry
    // was reused or removed since: its idle_since differs).
    std::deque<std::pair<address_key, time_point>> idle_;
};

}  // namespace hearth::session::detail

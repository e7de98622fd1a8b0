#pragma once
// Tuning of a node's cluster links: backoff, liveness, queue bounds. The wire-visible
// parameters (cluster name, secret, codec, max frame, heartbeat interval) live in
// cluster_config; these are local choices of one node and never travel.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::cluster {

struct cluster_options {
    /// First reconnect delay bound; doubles per failed attempt up to backoff_cap. The actual
    /// delay is uniform in [0, bound] (full jitter).
    std::chrono::milliseconds backoff_base{100};
    std::chrono::milliseconds backoff_cap{10'000};
    /// A link that stayed up this long resets the backoff to backoff_base.
    std::chrono::milliseconds stable_after{10'000};
    /// A link from which nothing was read for this many of the peer's heartbeat intervals is
    /// declared down (link_silent) and torn down.
    unsigned silent_intervals = 3;
    /// Bound of connect + handshake; 0 = 3 heartbeat intervals, at least 1 s.
    std::chrono::milliseconds handshake_timeout{0};
    /// Bound on the messages (calls and notifies) queued for one peer and not yet written.
    std::size_t queue_limit = 262'144;
    /// Bound on the payload bytes queued for one peer and not yet written.
    std::size_t queue_bytes_limit = 256 * 1024 * 1024;
    /// Repeated identical log lines (connect failures, misaddressed frames) at most this often.
    std::chrono::milliseconds log_interval{5'000};
    /// Seed of the backoff jitter; 0 = random (tests set it for reproducible delays).
    std::uint64_t jitter_seed = 0;
    /// Resolves a host name of the configuration (never an IP address literal) to the IP
    /// addresses to use, in order: listen() binds the first that binds, a sender dials each in
    /// turn until one connects. An empty list means the name does not resolve. Unset (the
    /// default): the system resolver (getaddrinfo; asynchronous for senders). When set, it is
    /// called on a sender's worker on every connect attempt, so it must not block; tests use
    /// it to supply several addresses for one name.
    std::function<std::vector<std::string>(std::string_view host)> resolve;
};

}  // namespace hearth::cluster

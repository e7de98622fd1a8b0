#pragma once
// Error vocabulary of the cluster module: configuration, wire-format and handshake failures.

#include <optional>
#include <string_view>
#include <system_error>

namespace hearth::cluster {

/// Why a configuration, a frame, a handshake or a link failed. The numeric values travel in
/// reject frames (docs/protocol.md, "Reject codes"): append new codes, never renumber.
enum class errc {
    bad_config = 1,      ///< a cluster configuration is invalid; the message names the problem
    frame_too_large,     ///< a frame announces (or would need) more bytes than the limit
    unknown_frame_type,  ///< a frame type byte this protocol version does not define
    malformed_frame,     ///< a frame's fields are truncated, inconsistent or out of their limits
    handshake_failed,    ///< the handshake went wrong in a way no more specific code describes
    wrong_cluster,       ///< the peer belongs to another cluster
    wrong_target,        ///< the peer expected another node name (a stale or reused address)
    unknown_node,        ///< the peer's node name is not in this node's configuration
    bad_signature,       ///< the handshake proof does not verify: wrong secret or tampering
    version_mismatch,    ///< the peer speaks another protocol version
    codec_mismatch,      ///< the peer encodes payloads with another codec
    unexpected_frame,    ///< a valid frame arrived in a state where it is not allowed
    handshake_timeout,   ///< the handshake did not complete within its deadline
    shutting_down,       ///< the node is stopping and accepts no new links
    link_silent,         ///< nothing was read from the peer for the liveness window
    peer_left,           ///< the peer announced a graceful leave
    misaddressed,        ///< a frame named another node or an old incarnation of this one
    connect_failed,      ///< the peer's address did not resolve or refused the connection (local only)
    link_closed,         ///< the peer closed the link, a read or write failed, or this node closed it
    /// Cluster TLS: the peer's certificate (verified against the cluster CA) does not name the
    /// node it claims to be (its hello's sender) or the node this sender dialled.
    certificate_mismatch,
};

/// Groups of errc, tested with `ec == condition::handshake_failure` (the Beast manner): a
/// metric or a log line that cares about the kind of failure tests the condition, not a list
/// of codes. Codes outside both groups (bad_config, shutting_down, link_silent, peer_left,
/// misaddressed) match neither.
enum class condition {
    /// The peer could not be admitted: handshake_failed, wrong_cluster, wrong_target,
    /// unknown_node, bad_signature, version_mismatch, codec_mismatch, handshake_timeout,
    /// certificate_mismatch.
    handshake_failure = 1,
    /// The peer's bytes break the frame protocol: frame_too_large, unknown_frame_type,
    /// malformed_frame, unexpected_frame.
    protocol_violation,
};

/// The error category of errc ("hearth.cluster"); its messages are full sentences.
const std::error_category& category() noexcept;

/// The category of condition ("hearth.cluster.condition").
const std::error_category& condition_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

inline std::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

/// The stable lower-case name of a code ("frame_too_large", ...), "unknown" for other values.
std::string_view to_string(errc e) noexcept;

/// True when `value` is a defined errc value (used when decoding reject frames).
bool is_known(int value) noexcept;

/// The errc `ec` holds, or nullopt when `ec` is of another category (a socket error, say):
/// the checked way from a std::error_code to an errc.
std::optional<errc> errc_of(const std::error_code& ec) noexcept;

}  // namespace hearth::cluster

template <>
struct std::is_error_code_enum<hearth::cluster::errc> : std::true_type {};

template <>
struct std::is_error_condition_enum<hearth::cluster::condition> : std::true_type {};

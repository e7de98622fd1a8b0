#include "cluster/error.hpp"

#include <iterator>
#include <string>

#include "rpc/error_table.hpp"

namespace hearth::cluster {
namespace {

using rpc::error_entry;
using rpc::table_category;

constexpr int handshake = static_cast<int>(condition::handshake_failure);
constexpr int protocol = static_cast<int>(condition::protocol_violation);

constexpr error_entry<errc> codes[] = {
    {errc::bad_config, "bad_config", "The cluster configuration is invalid."},
    {errc::frame_too_large, "frame_too_large", "A cluster frame is larger than the configured limit.",
     protocol},
    {errc::unknown_frame_type, "unknown_frame_type", "A cluster frame has a type this node does not know.",
     protocol},
    {errc::malformed_frame, "malformed_frame", "A cluster frame is truncated or its fields are invalid.",
     protocol},
    {errc::handshake_failed, "handshake_failed", "The cluster handshake failed.", handshake},
    {errc::wrong_cluster, "wrong_cluster", "The peer belongs to a different cluster.", handshake},
    {errc::wrong_target, "wrong_target", "The peer expected to reach a different node.", handshake},
    {errc::unknown_node, "unknown_node", "The peer's node name is not in the cluster configuration.",
     handshake},
    {errc::bad_signature, "bad_signature", "The handshake signature does not match the cluster secret.",
     handshake},
    {errc::version_mismatch, "version_mismatch", "The peer speaks a different cluster protocol version.",
     handshake},
    {errc::codec_mismatch, "codec_mismatch", "The peer uses a different payload codec.", handshake},
    {errc::unexpected_frame, "unexpected_frame",
     "A cluster frame arrived in a state where it is not allowed.", protocol},
    {errc::handshake_timeout, "handshake_timeout", "The cluster handshake did not complete in time.",
     handshake},
    {errc::shutting_down, "shutting_down", "The node is shutting down and accepts no new links."},
    {errc::link_silent, "link_silent", "The peer sent nothing for longer than the liveness window."},
    {errc::peer_left, "peer_left", "The peer announced that it is leaving the cluster."},
    {errc::misaddressed, "misaddressed", "A frame was addressed to another node or an old incarnation."},
    {errc::connect_failed, "connect_failed", "The peer's address could not be resolved or connected to."},
    {errc::link_closed, "link_closed",
     "The link was closed by the peer, by a failed read or write, or by this node."},
    {errc::certificate_mismatch, "certificate_mismatch",
     "The peer's TLS certificate does not name the node it claims to be.", handshake},
};
static_assert(std::size(codes) == static_cast<std::size_t>(errc::certificate_mismatch), "one row per errc");

constexpr error_entry<condition> conditions[] = {
    {condition::handshake_failure, "handshake_failure", "The peer could not be admitted to the cluster."},
    {condition::protocol_violation, "protocol_violation", "The peer broke the cluster frame protocol."},
};

const table_category<condition>& condition_table() noexcept {
    static const table_category<condition> instance{"hearth.cluster.condition", conditions,
                                                    "An unknown Hearth cluster condition."};
    return instance;
}

const table_category<errc>& table() noexcept {
    static const table_category<errc> instance{
        "hearth.cluster", codes, "An unknown Hearth cluster error occurred.", &condition_category};
    return instance;
}

}  // namespace

const std::error_category& category() noexcept {
    return table();
}

const std::error_category& condition_category() noexcept {
    return condition_table();
}

std::string_view to_string(errc e) noexcept {
    return table().name_of(e);
}

bool is_known(int value) noexcept {
    return table().is_known(value);
}

std::optional<errc> errc_of(const std::error_code& ec) noexcept {
    return table().code_of(ec);
}

}  // namespace hearth::cluster

#include "cluster/error.hpp"

#include <array>
#include <string>

namespace hearth::cluster {
namespace {

struct code_info {
    errc code;
    std::string_view name;
    const char* sentence;
};

constexpr std::array<code_info, 19> codes{{
    {errc::bad_config, "bad_config", "The cluster configuration is invalid."},
    {errc::frame_too_large, "frame_too_large", "A cluster frame is larger than the configured limit."},
    {errc::unknown_frame_type, "unknown_frame_type", "A cluster frame has a type this node does not know."},
    {errc::malformed_frame, "malformed_frame", "A cluster frame is truncated or its fields are invalid."},
    {errc::handshake_failed, "handshake_failed", "The cluster handshake failed."},
    {errc::wrong_cluster, "wrong_cluster", "The peer belongs to a different cluster."},
    {errc::wrong_target, "wrong_target", "The peer expected to reach a different node."},
    {errc::unknown_node, "unknown_node", "The peer's node name is not in the cluster configuration."},
    {errc::bad_signature, "bad_signature", "The handshake signature does not match the cluster secret."},
    {errc::version_mismatch, "version_mismatch", "The peer speaks a different cluster protocol version."},
    {errc::codec_mismatch, "codec_mismatch", "The peer uses a different payload codec."},
    {errc::unexpected_frame, "unexpected_frame",
     "A cluster frame arrived in a state where it is not allowed."},
    {errc::handshake_timeout, "handshake_timeout", "The cluster handshake did not complete in time."},
    {errc::shutting_down, "shutting_down", "The node is shutting down and accepts no new links."},
    {errc::link_silent, "link_silent", "The peer sent nothing for longer than the liveness window."},
    {errc::peer_left, "peer_left", "The peer announced that it is leaving the cluster."},
    {errc::misaddressed, "misaddressed", "A frame was addressed to another node or an old incarnation."},
    {errc::connect_failed, "connect_failed", "The peer's address could not be resolved or connected to."},
    {errc::link_closed, "link_closed",
     "The link was closed by the peer, by a failed read or write, or by this node."},
}};

const code_info* find(errc e) noexcept {
    for (const auto& c : codes)
        if (c.code == e) return &c;
    return nullptr;
}

class category_impl final : public std::error_category {
  public:
    const char* name() const noexcept override { return "hearth.cluster"; }
    std::string message(int ev) const override {
        const auto* c = find(static_cast<errc>(ev));
        return c ? c->sentence : "An unknown Hearth cluster error occurred.";
    }
};

}  // namespace

const std::error_category& category() noexcept {
    static const category_impl instance;
    return instance;
}

std::string_view to_string(errc e) noexcept {
    const auto* c = find(e);
    return c ? c->name : std::string_view{"unknown"};
}

bool is_known(int value) noexcept {
    return find(static_cast<errc>(value)) != nullptr;
}

}  // namespace hearth::cluster

#include "cluster/handshake.hpp"

#include <exception>
#include <string>

#include "framework/secure_random.hpp"

namespace hearth::cluster {
namespace {

constexpr std::string_view hello_label = "hearth-hello-v1";
constexpr std::string_view welcome_label = "hearth-welcome-v1";

std::string_view bytes_of(const nonce& n) noexcept {
    return {reinterpret_cast<const char*>(n.data()), n.size()};
}

void append_str(std::string& out, std::string_view s) {
    out.push_back(static_cast<char>(s.size() >> 8));
    out.push_back(static_cast<char>(s.size()));
    out.append(s);
}

// Built with append rather than operator+: GCC 12 reports a false -Wrestrict on the latter at -O3.
std::string in_quotes(std::string_view s) {
    s = s.substr(0, max_node_name);
    std::string out;
    out.reserve(s.size() + 2);
    out += '\'';
    out.append(s);
    out += '\'';
    return out;
}

outcome<void> check_limits(std::uint64_t incarnation, std::uint32_t max_frame, std::uint32_t heartbeat_ms) {
    if (incarnation == 0)
        return failure{errc::handshake_failed, "The peer announced incarnation 0, which is reserved."};
    if (max_frame < min_max_frame)
        return failure{errc::handshake_failed, "The peer's max_frame of " + std::to_string(max_frame) +
                                                   " bytes is below the minimum of " +
                                                   std::to_string(min_max_frame) + "."};
    if (heartbeat_ms < min_heartbeat.count() || heartbeat_ms > max_heartbeat.count())
        return failure{errc::handshake_failed, "The peer's heartbeat interval of " +
                                                   std::to_string(heartbeat_ms) + " ms is out of range."};
    return {};
}

}  // namespace

nonce make_nonce() {
    nonce n;
    secure_random_bytes(n.data(), n.size());
    return n;
}

std::uint64_t make_incarnation() {
    return secure_random_nonzero_u64();
}

digest hello_proof(std::string_view secret, const nonce& challenge, const hello_frame& hello) {
    std::string input;
    input.reserve(256);
    input.append(hello_label);
    input.append(bytes_of(challenge));
    append_signed_part(hello, input);
    return hmac(secret, input);
}

digest welcome_proof(std::string_view secret, const nonce& challenge, const hello_frame& hello,
                     const welcome_frame& welcome) {
    std::string input;
    input.reserve(256);
    input.append(welcome_label);
    input.append(bytes_of(hello.nonce));
    input.append(bytes_of(challenge));
    append_str(input, hello.cluster);
    append_str(input, hello.sender_node);
    for (int i = 7; i >= 0; --i) input.push_back(static_cast<char>(hello.sender_incarnation >> (8 * i)));
    append_signed_part(welcome, input);
    return hmac(secret, input);
}

outcome<void> check_challenge(const challenge_frame& challenge) {
    if (challenge.version != protocol_version)
        return failure{errc::version_mismatch, "The acceptor speaks protocol version " +
                                                   std::to_string(challenge.version) + ", this node speaks " +
                                                   std::to_string(protocol_version) + "."};
    return {};
}

outcome<void> check_hello(const hello_frame& hello, const nonce& challenge, const cluster_config& config,
                          std::string_view self_node) {
    if (hello.version != protocol_version)
        return failure{errc::version_mismatch, "The connector speaks protocol version " +
                                                   std::to_string(hello.version) + ", this node speaks " +
                                                   std::to_string(protocol_version) + "."};
    if (hello.cluster != config.cluster)
        return failure{errc::wrong_cluster, "The connector belongs to cluster " + in_quotes(hello.cluster) +
                                                ", this node to " + in_quotes(config.cluster) + "."};
    if (hello.target_node != self_node)
        return failure{errc::wrong_target, "The connector wanted node " + in_quotes(hello.target_node) +
                                               " but reached " + in_quotes(self_node) + "."};
    if (hello.sender_node == self_node)
        return failure{errc::unknown_node,
                       "The connector claims this node's own name " + in_quotes(self_node) + "."};
    if (!config.contains(hello.sender_node))
        return failure{errc::unknown_node, "The connector's node name " + in_quotes(hello.sender_node) +
                                               " is not in the configuration."};
    if (auto limits = check_limits(hello.sender_incarnation, hello.max_frame, hello.heartbeat_ms); !limits)
        return limits;
    if (hello.codec != config.codec)
        return failure{errc::codec_mismatch,
                       "The connector uses codec '" + std::string(rpc::to_string(hello.codec)) +
                           "', this node uses '" + std::string(rpc::to_string(config.codec)) + "'."};
    digest expected{};
    try {
        expected = hello_proof(config.secret, challenge, hello);
    } catch (const std::exception& e) {
        return failure{errc::handshake_failed,
                       std::string("Cannot check the connector's proof: ") + e.what()};
    }
    if (!constant_time_equal(as_bytes(hello.proof), as_bytes(expected)))
        return failure{errc::bad_signature,
                       "The connector's proof does not match: the cluster secrets differ."};
    return {};
}

outcome<void> check_welcome(const welcome_frame& welcome, const hello_frame& hello, const nonce& challenge,
                            const cluster_config& config) {
    if (welcome.version != protocol_version)
        return failure{errc::version_mismatch, "The acceptor speaks protocol version " +
                                                   std::to_string(welcome.version) + ", this node speaks " +
                                                   std::to_string(protocol_version) + "."};
    if (welcome.node != hello.target_node)
        return failure{errc::wrong_target, "Dialled node " + in_quotes(hello.target_node) + " but node " +
                                               in_quotes(welcome.node) + " answered."};
    if (auto limits = check_limits(welcome.node_incarnation, welcome.max_frame, welcome.heartbeat_ms);
        !limits)
        return limits;
    digest expected{};
    try {
        expected = welcome_proof(config.secret, challenge, hello, welcome);
    } catch (const std::exception& e) {
        return failure{errc::handshake_failed, std::string("Cannot check the acceptor's proof: ") + e.what()};
    }
    if (!constant_time_equal(as_bytes(welcome.proof), as_bytes(expected)))
        return failure{errc::bad_signature,
                       "The acceptor's proof does not match: the cluster secrets differ."};
    return {};
}

}  // namespace hearth::cluster

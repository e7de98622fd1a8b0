#pragma once
// The link handshake (docs/protocol.md, "Handshake"): proofs and the checks each side runs.
//
//   connector                                  acceptor
//      | ---------------- TCP connect ------------> |
//      | <-- challenge{version, nonce_a} ----------- |   fresh random nonce per connection
//      | --- hello{..., nonce_c, proof_c} ---------> |   proof_c = hello_proof(secret, nonce_a, hello)
//      | <-- welcome{..., proof_a} or reject ------- |   proof_a = welcome_proof(secret, nonce_a, hello,
//      welcome) |   (reject + close if proof_a is wrong)      |
//
// Each proof covers the other side's fresh nonce, so a recorded hello or welcome is useless on
// any other connection (no replay), and both sides prove they know the secret (mutual).
// Everything here is a pure function: the sender and agent own the sockets and the deadlines.

#include <cstdint>
#include <string_view>

#include "cluster/config.hpp"
#include "cluster/frame.hpp"
#include "cluster/hmac.hpp"
#include "cluster/outcome.hpp"

namespace hearth::cluster {

/// A fresh nonce of nonce_size bytes from the cryptographic generator
/// (framework/secure_random.hpp). Any thread. Throws std::runtime_error if the generator fails.
nonce make_nonce();

/// A random, non-zero incarnation id from the cryptographic generator (what hearth::node draws
/// at construction). Any thread. Throws std::runtime_error if the generator fails.
std::uint64_t make_incarnation();

/// HMAC-SHA256(secret, "hearth-hello-v1" || challenge || signed part of hello). The hello's own
/// proof field is not an input. Throws std::runtime_error if OpenSSL fails (hmac.hpp).
digest hello_proof(std::string_view secret, const nonce& challenge, const hello_frame& hello);

/// HMAC-SHA256(secret, "hearth-welcome-v1" || hello.nonce || challenge || str(hello.cluster) ||
/// str(hello.sender_node) || u64 hello.sender_incarnation || signed part of welcome).
/// Throws std::runtime_error if OpenSSL fails.
digest welcome_proof(std::string_view secret, const nonce& challenge, const hello_frame& hello,
                     const welcome_frame& welcome);

/// The connector's check of the first frame: the acceptor must speak our version.
outcome<void> check_challenge(const challenge_frame& challenge);

/// The acceptor's check of a hello, in this order: version_mismatch, wrong_cluster,
/// wrong_target (target_node is not `self_node`), unknown_node (sender not in `config`, or the
/// sender claims `self_node`), handshake_failed (incarnation 0, max_frame below the minimum,
/// heartbeat_ms out of range), codec_mismatch, bad_signature (the proof is compared in
/// constant time). If OpenSSL cannot compute the expected proof: handshake_failed with its
/// reason; never throws for that. The failure's message is meant for the reject frame and the
/// log; it never contains the secret.
outcome<void> check_hello(const hello_frame& hello, const nonce& challenge, const cluster_config& config,
                          std::string_view self_node);

/// The connector's check of a welcome: version_mismatch, wrong_target (welcome.node is not the
/// node we dialled), handshake_failed (incarnation 0, limits out of range, or OpenSSL cannot
/// compute the expected proof), bad_signature (compared in constant time).
/// `hello` is the hello this side sent (its nonce is what the acceptor must have signed).
outcome<void> check_welcome(const welcome_frame& welcome, const hello_frame& hello, const nonce& challenge,
                            const cluster_config& config);

}  // namespace hearth::cluster

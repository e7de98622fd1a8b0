#pragma once
// Unpredictable random values for anything an attacker must not guess: handshake nonces,
// incarnation ids, tokens. Drawn from OpenSSL's CSPRNG (RAND_bytes, seeded by the operating
// system), never from std::random_device or a seeded engine.

#include <cstddef>
#include <cstdint>

namespace hearth {

/// Fills `size` bytes at `out` with cryptographically secure random bytes. Any thread.
/// Throws std::runtime_error with a sentence naming OpenSSL's reason when the generator fails
/// (it was not seeded, or the operating system's source is unavailable); never returns
/// predictable bytes.
void secure_random_bytes(void* out, std::size_t size);

/// A uniformly random non-zero 64-bit value from secure_random_bytes() (zero is redrawn).
/// Throws like secure_random_bytes().
std::uint64_t secure_random_nonzero_u64();

}  // namespace hearth

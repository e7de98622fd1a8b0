#include "framework/constant_time.hpp"

#include <openssl/crypto.h>

namespace hearth {

bool constant_time_equal(std::string_view received, std::string_view expected) noexcept {
    // CRYPTO_memcmp needs two buffers of one length. When the lengths differ, `received` is
    // compared with itself instead: the same number of bytes is read either way, so the time
    // still depends only on received.size(), and the result is false through same_size. The
    // content of `expected` is never read on that path, so nothing about it can leak.
    const bool same_size = received.size() == expected.size();
    const void* other = same_size ? expected.data() : received.data();
    const bool same_bytes = CRYPTO_memcmp(received.data(), other, received.size()) == 0;
    return same_size & same_bytes;
}

}  // namespace hearth

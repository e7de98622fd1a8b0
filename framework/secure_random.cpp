#include "framework/secure_random.hpp"

#include <climits>
#include <stdexcept>
#include <string>

#include <openssl/err.h>
#include <openssl/rand.h>

namespace hearth {

void secure_random_bytes(void* out, std::size_t size) {
    auto* p = static_cast<unsigned char*>(out);
    // RAND_bytes takes an int count; larger requests are drawn in pieces.
    while (size > 0) {
        const int piece = size > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(size);
        if (RAND_bytes(p, piece) != 1) {
            char reason[256] = "no reason given";
            if (const unsigned long code = ERR_get_error(); code != 0)
                ERR_error_string_n(code, reason, sizeof reason);
            ERR_clear_error();
            throw std::runtime_error("The cryptographic random generator failed (OpenSSL RAND_bytes: " +
                                     std::string(reason) + ").");
        }
        p += piece;
        size -= static_cast<std::size_t>(piece);
    }
}

std::uint64_t secure_random_nonzero_u64() {
    std::uint64_t v = 0;
    while (v == 0) secure_random_bytes(&v, sizeof v);
    return v;
}

}  // namespace hearth

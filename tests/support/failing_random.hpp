#pragma once
// Makes OpenSSL's RAND_bytes fail for the lifetime of a guard, to test that a failing
// cryptographic generator is reported, not ignored. Process-wide: use it only while no other
// test in the process draws random bytes (Catch2 runs test cases one after another).

// RAND_set_rand_method is deprecated in OpenSSL 3.0 but still honoured by RAND_bytes; it is
// the only way to make the generator fail on demand.
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/err.h>
#include <openssl/rand.h>

namespace hearth::test {

class failing_random_guard {
  public:
    failing_random_guard() { RAND_set_rand_method(&failing_); }
    ~failing_random_guard() { RAND_set_rand_method(RAND_OpenSSL()); }
    failing_random_guard(const failing_random_guard&) = delete;
    failing_random_guard& operator=(const failing_random_guard&) = delete;

  private:
    static int fail(unsigned char*, int) {
        ERR_raise_data(ERR_LIB_RAND, RAND_R_UNABLE_TO_FETCH_DRBG, "test: generator switched off");
        return 0;
    }
    static int status() { return 0; }
    static inline const RAND_METHOD failing_{nullptr, &fail, nullptr, nullptr, &fail, &status};
};

}  // namespace hearth::test

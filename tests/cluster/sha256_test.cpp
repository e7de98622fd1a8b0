// SHA-256 (FIPS 180-4) as computed through OpenSSL (cluster/hmac.hpp: sha256()).
#include "cluster/hmac.hpp"

#include <catch2/catch.hpp>

#include <string>

using hearth::cluster::as_bytes;
using hearth::cluster::sha256;
using hearth::cluster::to_hex;

namespace {
std::string hex(std::string_view s) {
    return to_hex(as_bytes(sha256(s)));
}
}  // namespace

TEST_CASE("sha256 matches the FIPS 180-4 example vectors") {
    CHECK(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopq"
              "rsmnopqrs"
              "tnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST_CASE("sha256 of one million 'a'") {
    const std::string a(1'000'000, 'a');
    CHECK(hex(a) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 hashes every byte, including zero bytes and the padding boundary lengths") {
    // Lengths around the padding boundary (55/56/64 bytes) are where SHA-256 padding goes wrong.
    CHECK(hex(std::string(55, 'x')) != hex(std::string(56, 'x')));
    CHECK(hex(std::string(64, 'x')) != hex(std::string(63, 'x')));
    CHECK(hex(std::string_view("a\0b", 3)) != hex(std::string_view("a\0c", 3)));
    CHECK(hex(std::string_view("\0", 1)) ==
          "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

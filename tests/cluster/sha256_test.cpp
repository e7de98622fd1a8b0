#include "cluster/detail/sha256.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "cluster/hmac.hpp"

using hearth::cluster::as_bytes;
using hearth::cluster::to_hex;
using hearth::cluster::detail::sha256;

namespace {
std::string hex(std::string_view s) {
    return to_hex(as_bytes(sha256::hash(s)));
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

TEST_CASE("sha256 gives the same digest whatever the update chunking") {
    std::string msg;
    for (int i = 0; i < 1000; ++i) msg += static_cast<char>(i * 7);
    const auto whole = sha256::hash(msg);
    for (std::size_t chunk : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u, 999u}) {
        sha256 h;
        for (std::size_t i = 0; i < msg.size(); i += chunk) h.update(std::string_view(msg).substr(i, chunk));
        CHECK(h.finish() == whole);
    }
    // Lengths around the padding boundary (55/56/64 bytes) are where SHA-256 padding goes wrong.
    CHECK(hex(std::string(55, 'x')) != hex(std::string(56, 'x')));
    sha256 h;
    h.update("ab");
    (void)h.finish();
    h.reset();
    h.update("abc");
    CHECK(to_hex(as_bytes(h.finish())) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

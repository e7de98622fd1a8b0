#include "session/compression.hpp"

#include <catch2/catch.hpp>

#include <random>

#include <zlib.h>

using namespace hearth::session;

namespace {

std::string gzip(std::string_view in) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace

TEST_CASE("zlib payloads round-trip") {
    const std::string text = R"({"message":"hello hello hello hello hello hello"})";
    std::string z;
    deflate_payload(text, z);
    REQUIRE(z.size() < text.size());
    REQUIRE(static_cast<unsigned char>(z[0]) == 0x78);  // zlib header, as Pitaya sends
    std::string out = "keep:";
    REQUIRE_FALSE(inflate_payload(z, out, 1024));
    REQUIRE(out == "keep:" + text);
}

TEST_CASE("gzip payloads are accepted too") {
    const std::string text(5000, 'g');
    std::string out;
    REQUIRE_FALSE(inflate_payload(gzip(text), out, 5000));
    REQUIRE(out == text);
}

TEST_CASE("an inflater is reusable and grows output in steps") {
    inflater inf;
    std::mt19937 rng(7);
    for (int round = 0; round < 20; ++round) {
        std::string text(static_cast<std::size_t>(rng() % 300000), '\0');
        for (auto& c : text) c = static_cast<char>('a' + rng() % 4);
        std::string z, out;
        deflate_payload(text, z, round % 10);
        REQUIRE_FALSE(inf.inflate(z, out, text.size()));
        REQUIRE(out == text);
    }
}

TEST_CASE("inflate is bounded: zip bombs are refused") {
    const std::string text(10 << 20, '\0');  // 10 MiB of zeros compress to ~10 KiB
    std::string z;
    deflate_payload(text, z, 9);
    REQUIRE(z.size() < 64 * 1024);
    std::string out = "keep";
    REQUIRE(inflate_payload(z, out, 64 * 1024) == errc::payload_too_large);
    REQUIRE(out == "keep");
    REQUIRE(inflate_payload(z, out, text.size() - 1) == errc::payload_too_large);
    REQUIRE_FALSE(inflate_payload(z, out, text.size()));
    REQUIRE(out.size() == 4 + text.size());
}

TEST_CASE("corrupt, truncated and trailing input is refused") {
    std::string z;
    deflate_payload("some payload that is long enough to matter", z);
    std::string out = "keep";
    inflater inf;
    REQUIRE(inf.inflate(std::string_view(z).substr(0, z.size() - 3), out, 1000) == errc::decompress_failed);
    REQUIRE(inf.inflate(z + "tail", out, 1000) == errc::decompress_failed);
    REQUIRE(inf.inflate("not zlib at all", out, 1000) == errc::decompress_failed);
    REQUIRE(inf.inflate("", out, 1000) == errc::decompress_failed);
    std::string flipped = z;
    flipped[flipped.size() / 2] ^= 0x55;
    REQUIRE(inf.inflate(flipped, out, 1000) == errc::decompress_failed);
    REQUIRE(out == "keep");
    // Still usable after errors.
    REQUIRE_FALSE(inf.inflate(z, out, 1000));
}

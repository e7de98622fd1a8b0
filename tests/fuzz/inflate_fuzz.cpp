// zlib/gzip inflation of client payloads with its output bound (session/compression.hpp).
//
// Input: 2 bytes choosing max_size (0..65535), then the compressed payload.
// Properties:
// - the output never exceeds max_size; on error the caller's buffer is left exactly as it was;
// - errors are payload_too_large or decompress_failed only; nothing throws but bad_alloc;
// - a reused inflater gives the same result as a fresh one (no state leaks between payloads);
// - a payload refused as too large, inflated with a larger bound, yields more than the old
//   bound (when it inflates at all): the bound is exact;
// - deflate_payload of the input inflates back to the input, and is refused one byte short.

#include <string>

#include "session/compression.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace hearth::session;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in = hearth::fuzz::as_view(data, size);
    const std::size_t max_size = hearth::fuzz::take_le(in, 2);

    static inflater reused;  // carries state from every earlier input, as a connection's does
    const std::string prefix = "kept";
    std::string first = prefix;
    const auto ec = reused.inflate(in, first, max_size);
    FUZZ_CHECK(first.compare(0, prefix.size(), prefix) == 0,
               "inflate changed the bytes already in the buffer");
    if (ec) {
        FUZZ_CHECK(ec == errc::payload_too_large || ec == errc::decompress_failed,
                   "inflate returned an undocumented error: " + ec.message());
        FUZZ_CHECK(first == prefix, "a failed inflate left output behind");
    } else {
        FUZZ_CHECK(first.size() - prefix.size() <= max_size, "inflate produced more than max_size");
    }

    std::string second;
    const auto ec2 = inflate_payload(in, second, max_size);
    FUZZ_CHECK(ec2 == ec, "a fresh inflater disagrees with a reused one");
    FUZZ_CHECK(second == std::string_view(first).substr(prefix.size()),
               "a fresh inflater produced different bytes");

    if (ec == errc::payload_too_large) {
        std::string bigger;
        const auto ec3 = inflate_payload(in, bigger, max_size * 4 + 1024);
        // (A corrupt stream may now fail later on: too large was decided before the corruption.)
        FUZZ_CHECK(ec3 || bigger.size() > max_size, "payload_too_large for a payload within the bound");
    }

    // Round trip of arbitrary bytes through Hearth's own deflate.
    std::string packed;
    deflate_payload(in, packed);
    std::string unpacked;
    FUZZ_CHECK(!inflate_payload(packed, unpacked, in.size()) && unpacked == in,
               "deflate/inflate round trip failed");
    if (!in.empty()) {
        unpacked.clear();
        FUZZ_CHECK(inflate_payload(packed, unpacked, in.size() - 1) == errc::payload_too_large,
                   "a payload one byte over the bound was not refused");
    }
    return 0;
}

// The cluster frame decoder (cluster/frame.hpp) fed a byte stream in random splits.
//
// Input: 1 byte choosing max_frame, 4 bytes seeding the split sizes, then the stream.
// Properties:
// - every decoded frame re-encodes (encode) to exactly the bytes it was decoded from;
// - decode_body on those bytes agrees with the streaming decoder;
// - nothing larger than max_frame is accepted; a failure is sticky and has a documented code;
// - failure messages are valid UTF-8 (they end up in reject frames and JSON).

#include <string>

#include "cluster/frame.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace hearth::cluster;
using hearth::fuzz::splitter;

namespace {

std::uint32_t length_at(std::string_view s, std::size_t at) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data() + at);
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in = hearth::fuzz::as_view(data, size);
    static constexpr std::size_t limits[] = {min_max_frame, 64, 1, default_max_frame};
    const std::size_t max_frame = limits[hearth::fuzz::take_le(in, 1) % std::size(limits)];
    splitter split(static_cast<std::uint32_t>(hearth::fuzz::take_le(in, 4)));

    frame_decoder dec(max_frame);
    std::size_t fed = 0;
    std::size_t consumed = 0;  // start of the next frame in `in`
    bool failed = false;
    while (fed < in.size() && !failed) {
        const std::size_t n = split.next(in.size() - fed);
        if (n & 1) {
            dec.feed(in.substr(fed, n));
        } else {
            auto space = dec.prepare(n);
            FUZZ_CHECK(space.size() == n, "prepare returned the wrong size");
            std::char_traits<char>::copy(space.data(), in.data() + fed, n);
            dec.commit(n);
        }
        fed += n;
        for (;;) {
            auto f = dec.next();
            if (!f) {
                const auto& e = f.error();
                FUZZ_CHECK(e.code == errc::frame_too_large || e.code == errc::unknown_frame_type ||
                               e.code == errc::malformed_frame,
                           "an undocumented decode failure: " + e.message);
                FUZZ_CHECK(hearth::fuzz::valid_utf8(e.message), "a failure message is not UTF-8");
                FUZZ_CHECK(dec.failed(), "a failure is not remembered");
                auto again = dec.next();
                FUZZ_CHECK(!again && again.error().code == e.code && again.error().message == e.message,
                           "a failure is not sticky");
                failed = true;
                break;
            }
            if (!*f) break;
            // The frame came from in[consumed, consumed + 4 + length).
            FUZZ_CHECK(consumed + 4 <= fed, "a frame was decoded from bytes not yet fed");
            const std::uint32_t length = length_at(in, consumed);
            FUZZ_CHECK(length >= 1 && length <= max_frame, "a frame beyond max_frame was accepted");
            const std::string_view original = in.substr(consumed, 4 + std::size_t{length});
            FUZZ_CHECK(original.size() == 4 + std::size_t{length},
                       "a frame was decoded from bytes not yet fed");
            consumed += original.size();

            // A handshake frame of another protocol version decodes to its version alone
            // (cluster/frame.hpp): only the version is kept, so it cannot re-encode to its bytes.
            const bool other_version = std::visit(
                [](const auto& v) {
                    if constexpr (requires { v.version; }) return v.version != protocol_version;
                    return false;
                },
                **f);
            if (other_version) continue;
            std::string out = "x";
            auto enc = encode(**f, out, max_frame);
            FUZZ_CHECK(enc.has_value(),
                       "a decoded frame does not re-encode: " + (enc ? std::string() : enc.error().message));
            FUZZ_CHECK(std::string_view(out).substr(1) == original,
                       "the re-encoded frame differs from the original bytes");
            FUZZ_CHECK(type_of(**f) == static_cast<frame_type>(original[4]),
                       "type_of disagrees with the type byte");

            auto direct =
                decode_body(static_cast<std::uint8_t>(original[4]), original.substr(frame_header_size));
            FUZZ_CHECK(direct.has_value(), "decode_body refuses what the decoder accepted");
            std::string out2;
            FUZZ_CHECK(encode(*direct, out2, max_frame) && out2 == original,
                       "decode_body disagrees with the decoder");
        }
        if (!failed) FUZZ_CHECK(dec.buffered() == fed - consumed, "the decoder lost or invented bytes");
    }
    return 0;
}

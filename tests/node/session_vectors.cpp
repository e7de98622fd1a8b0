// Prints Hearth's encoding of the client-protocol test vectors, one "name hex" line each, for
// tests/node/vectors.js to compare with pomelo-protocol's.
//
//   session_vectors              encode the vectors
//   session_vectors --roundtrip  read "name hex" lines on stdin, decode each packet (and its
//                                message) with Hearth's decoders, re-encode, print "name hex"
//                                (proves Hearth decodes what pomelo-protocol encodes)
#include <iostream>
#include <sstream>
#include <string>

#include "session/message.hpp"
#include "session/packet.hpp"
#include "tests/session/hex.hpp"
#include "tests/session/vectors.hpp"

using namespace hearth::session;

namespace {

int roundtrip() {
    const auto dict = test::vectors_dictionary();
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream words(line);
        std::string name;
        words >> name;
        std::string hex;
        std::getline(words, hex);
        const std::string bytes = test::from_hex(hex);

        packet_decoder decoder;
        std::string out;
        int packets = 0;
        std::error_code inner;
        auto ec = decoder.feed(bytes, [&](const packet& p) {
            ++packets;
            if (p.type != packet_type::data) {
                inner = encode_packet(out, p.type, p.body);
                return;
            }
            message m;
            inner = decode_message(p.body, &dict, m);
            if (!inner) inner = encode_data_packet(out, m, &dict);
        });
        if (!ec) ec = inner;
        if (ec || packets != 1 || decoder.buffered() != 0) {
            std::cout << name << " ERROR " << (ec ? ec.message() : "not exactly one packet") << '\n';
            continue;
        }
        std::cout << name << ' ' << test::to_hex(out) << '\n';
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "--roundtrip") return roundtrip();
    for (const auto& v : test::encode_vectors()) std::cout << v.name << ' ' << test::to_hex(v.packet) << '\n';
    return 0;
}

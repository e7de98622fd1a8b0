#include "session/compression.hpp"

#include <algorithm>
#include <limits>
#include <new>
#include <stdexcept>

#include <zlib.h>

namespace hearth::session {

struct inflater::state {
    z_stream stream{};
    bool initialised = false;

    ~state() {
        if (initialised) inflateEnd(&stream);
    }
};

inflater::inflater() noexcept = default;
inflater::~inflater() = default;
inflater::inflater(inflater&&) noexcept = default;
inflater& inflater::operator=(inflater&&) noexcept = default;

std::error_code inflater::inflate(std::string_view in, std::string& out, std::size_t max_size) {
    // Client payloads are at most one packet (< 2^24 bytes), which fits zlib's uInt.
    if (in.size() > std::numeric_limits<uInt>::max()) return errc::payload_too_large;
    if (!state_) state_ = std::make_unique<state>();
    z_stream& zs = state_->stream;
    if (!state_->initialised) {
        // 15 + 32: maximum window, detect zlib or gzip header automatically.
        if (inflateInit2(&zs, 15 + 32) != Z_OK) throw std::bad_alloc();
        state_->initialised = true;
    } else {
        inflateReset(&zs);
    }

    const std::size_t offset = out.size();
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    // Grow the output in steps, never beyond max_size (+1 byte to detect overflow), so that the
    // announced or guessed size of the result never drives an allocation.
    std::size_t produced = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        const std::size_t room = max_size + 1 - produced;
        const std::size_t step =
            std::min<std::size_t>({room, std::max<std::size_t>(in.size() * 4, 1024), 1 << 20});
        out.resize(offset + produced + step);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + offset + produced);
        zs.avail_out = static_cast<uInt>(step);
        const uInt in_before = zs.avail_in;
        rc = ::inflate(&zs, Z_NO_FLUSH);
        produced += step - zs.avail_out;
        const bool progressed = zs.avail_out != step || zs.avail_in != in_before;
        if (produced > max_size) {
            out.resize(offset);
            return errc::payload_too_large;
        }
        if (rc == Z_STREAM_END) break;
        // Z_BUF_ERROR with input left means "needs more output room": loop; with no input left
        // the stream is truncated.
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || (zs.avail_in == 0 && zs.avail_out != 0) || !progressed) {
            out.resize(offset);
            return errc::decompress_failed;
        }
    }
    out.resize(offset + produced);
    if (zs.avail_in != 0) {  // trailing garbage after the stream
        out.resize(offset);
        return errc::decompress_failed;
    }
    return {};
}

std::error_code inflate_payload(std::string_view in, std::string& out, std::size_t max_size) {
    inflater i;
    return i.inflate(in, out, max_size);
}

void deflate_payload(std::string_view in, std::string& out, int level) {
    const uLong bound = compressBound(static_cast<uLong>(in.size()));
    const std::size_t offset = out.size();
    out.resize(offset + bound);
    uLongf written = bound;
    const int rc = compress2(reinterpret_cast<Bytef*>(out.data() + offset), &written,
                             reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()), level);
    if (rc != Z_OK) {
        out.resize(offset);
        if (rc == Z_MEM_ERROR) throw std::bad_alloc();
        throw std::invalid_argument("deflate_payload: invalid compression level");
    }
    out.resize(offset + written);
}

}  // namespace hearth::session

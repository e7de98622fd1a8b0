#pragma once
// The client side of session resume (docs/resume.md): what a client puts in its handshake to
// get a parked session back. The reply side is resume_grant (session/handshake.hpp).

#include <cstdint>
#include <string>

#include "session/handshake.hpp"

namespace hearth::session {

/// sys.resume of a client handshake: {"token": "<the last token it got>", "received": K}, K the
/// number of Response and Push packets the client received on the session so far.
struct resume_request {
    std::string token;
    std::uint64_t received = 0;
};

enum class resume_request_status {
    absent,     ///< no sys.resume (or null): a new session
    valid,      ///< `out` holds the request
    malformed,  ///< sys.resume is there but not {"token": string, "received": integer >= 0}
};

/// Reads sys.resume from a parsed handshake. A malformed one is answered as an unknown token
/// would be (a new session, "resumed": false), never with an error: the client still gets in.
/// Any thread.
resume_request_status parse_resume_request(const handshake_request& h, resume_request& out);

}  // namespace hearth::session

#include "session/resume.hpp"

#include <nlohmann/json.hpp>

namespace hearth::session {

resume_request_status parse_resume_request(const handshake_request& h, resume_request& out) {
    if (!h.sys.is_object()) return resume_request_status::absent;
    auto it = h.sys.find("resume");
    if (it == h.sys.end() || it->is_null()) return resume_request_status::absent;
    if (!it->is_object()) return resume_request_status::malformed;
    auto token = it->find("token");
    auto received = it->find("received");
    if (token == it->end() || !token->is_string()) return resume_request_status::malformed;
    // The count is required: a client that forgot it would get duplicates from a guessed 0.
    if (received == it->end()) return resume_request_status::malformed;
    std::uint64_t k = 0;
    if (received->is_number_unsigned())
        k = received->get<std::uint64_t>();
    else if (received->is_number_integer() && received->get<std::int64_t>() >= 0)
        k = static_cast<std::uint64_t>(received->get<std::int64_t>());
    else
        return resume_request_status::malformed;
    out.token = token->get<std::string>();
    out.received = k;
    return resume_request_status::valid;
}

}  // namespace hearth::session

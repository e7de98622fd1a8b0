// The client handshake parser (session/handshake.hpp) and the failure reply built from
// client-controlled text.
//
// Properties:
// - parse_handshake never throws (bad_alloc aside) and fails only with bad_handshake;
// - on success "sys" is an object or null, type/version are sys's strings, and the parsed values
//   nest at most max_handshake_depth deep (destroying or printing them cannot exhaust the stack);
// - handshake_failure(code, any bytes) is valid JSON that parses back with the same code, and
//   with the same message when that message was valid UTF-8.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "session/handshake.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace hearth::session;

namespace {

// Depth of a JSON value, iteratively (the property is that recursion on it is safe).
std::size_t depth_of(const nlohmann::json& root) {
    std::size_t deepest = 0;
    std::vector<std::pair<const nlohmann::json*, std::size_t>> todo{{&root, 0}};
    while (!todo.empty()) {
        auto [j, d] = todo.back();
        todo.pop_back();
        if (!j->is_structured()) continue;
        deepest = std::max(deepest, d + 1);
        for (const auto& child : *j) todo.emplace_back(&child, d + 1);
    }
    return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body = hearth::fuzz::as_view(data, size);

    handshake_request r;
    std::error_code ec;
    try {
        ec = parse_handshake(body, r);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, std::string("parse_handshake threw: ") + e.what());
    }
    if (ec) {
        FUZZ_CHECK(ec == errc::bad_handshake, "parse_handshake returned an undocumented error");
    } else {
        FUZZ_CHECK(r.sys.is_null() || r.sys.is_object(), "sys is neither an object nor null");
        if (r.sys.is_object()) {
            const auto t = r.sys.find("type");
            FUZZ_CHECK(r.type == (t != r.sys.end() && t->is_string() ? t->get<std::string>() : std::string()),
                       "type is not sys.type");
            const auto v = r.sys.find("version");
            FUZZ_CHECK(
                r.version == (v != r.sys.end() && v->is_string() ? v->get<std::string>() : std::string()),
                "version is not sys.version");
        } else {
            FUZZ_CHECK(r.type.empty() && r.version.empty(), "type/version without sys");
        }
        // The whole document nested at most max_handshake_depth; sys and user sit one level in.
        FUZZ_CHECK(depth_of(r.sys) < max_handshake_depth, "sys nests deeper than the limit");
        FUZZ_CHECK(depth_of(r.user) < max_handshake_depth, "user nests deeper than the limit");
        // Validators log and echo these: printing them must not throw.
        (void)r.user.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        (void)r.sys.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }

    // A validator's refusal message may quote what the client sent.
    const std::string reply = handshake_failure(400, body);
    const auto j = nlohmann::json::parse(reply, nullptr, false);
    FUZZ_CHECK(!j.is_discarded() && j.is_object(), "handshake_failure is not a JSON object");
    FUZZ_CHECK(j.value("code", 0) == 400, "handshake_failure lost its code");
    if (hearth::fuzz::valid_utf8(body))
        FUZZ_CHECK(j.value("message", std::string()) == body, "handshake_failure changed a valid message");
    return 0;
}

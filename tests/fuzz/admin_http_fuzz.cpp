// Raw HTTP request bytes into the admin server (framework/admin.hpp), with the routes a node
// of the cluster example registers: the built-in ones, the cluster's (/cluster,
// /cluster/reload) and the session module's (/sessions, /sessions/{id}/kick). The server's
// connection code is bound to a socket, so the bytes travel over loopback to a server running
// in this process; one connection per input.
//
// Input: the bytes a client writes (one or more pipelined requests). Inputs that would stop the
// node (POST /shutdown) or apply a real reload (which dials the addresses it names) are skipped.
// Properties:
// - the server answers with well-formed HTTP responses (Beast parses them) and then closes or
//   keeps the connection as HTTP says; it never hangs (request_timeout bounds a slow client);
// - every response with a JSON content type has a body that is valid JSON, and every error
//   status carries {"error": "..."};
// - no status outside the documented set (200, 202, 400, 401, 403, 404, 405, 409, 413, 417, 431,
//   500, 503);
// - the answer to a HEAD request has the GET's header fields and no body (RFC 9110 section 9.3.2):
//   the harness reads the requests with the server's own parser (Beast, same limits) to know
//   which answers belong to a HEAD.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "cluster/admin_routes.hpp"
#include "cluster/cluster.hpp"
#include "framework/admin.hpp"
#include "framework/node.hpp"
#include "session/admin_routes.hpp"
#include "session/gate.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/loopback.hpp"

using namespace std::chrono_literals;
namespace http = boost::beast::http;

namespace {

hearth::node* the_node = nullptr;
hearth::admin_server* the_admin = nullptr;
constexpr auto request_timeout = 300ms;

// Percent-decodes the whole input (how the server will read any path or query in it).
std::string decoded(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += in[i];
        }
    }
    return out;
}

constexpr std::size_t max_body = 64 * 1024;
constexpr std::size_t max_header = 4 * 1024;

// For each request the server can read from `in`, in order: whether it is a HEAD. The server
// answers each request it reads a header of (an error for one whose header or body it cannot
// read, after which it closes), so answer i belongs to request i.
std::vector<bool> head_requests(std::string_view in) {
    std::vector<bool> heads;
    boost::beast::flat_buffer buf;
    if (!in.empty()) {
        auto w = buf.prepare(in.size());
        std::memcpy(w.data(), in.data(), in.size());
        buf.commit(in.size());
    }
    while (buf.size() > 0) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(max_body);
        parser.header_limit(static_cast<std::uint32_t>(max_header));
        parser.eager(true);
        boost::beast::error_code ec;
        buf.consume(parser.put(buf.data(), ec));
        if (!parser.is_header_done()) break;  // the server answers 400/431 to a header it cannot read
        heads.push_back(parser.get().method_string() == "HEAD");
        if (ec || !parser.is_done()) break;
    }
    return heads;
}

bool would_change_the_node(std::string_view in) {
    const auto d = decoded(in);
    if (d.find("shutdown") != std::string::npos) return true;
    if (d.find("reload") == std::string::npos) return false;
    const bool dry = d.find("dry_run=1") != std::string::npos || d.find("dry_run=true") != std::string::npos;
    const bool wet = d.find("dry_run=0") != std::string::npos || d.find("dry_run=false") != std::string::npos;
    return !dry || wet;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    hearth::node_config c;
    c.name = "fuzz-admin";
    c.threads = 1;
    c.log_level = "off";
    the_node = new hearth::node(c);
    hearth::session::gate_options o;
    o.tcp_port = -1;
    o.ws_port = -1;
    auto& g = the_node->add_service<hearth::session::gate>("gate", o);
    // The cluster of one node, on a free port.
    auto cfg = hearth::cluster::parse_config(
        R"({"cluster":"fuzz","secret":"s3cret","nodes":{"fuzz-admin":"127.0.0.1:1","other":null}})");
    if (!cfg) std::abort();
    auto cl = hearth::cluster::cluster::create(*the_node);
    auto port = cl->listen({"127.0.0.1", 0});
    if (!port) std::abort();
    cfg->nodes["fuzz-admin"] = hearth::cluster::endpoint{"127.0.0.1", *port};
    if (!cl->start(*cfg)) std::abort();
    the_node->start();
    hearth::admin_config ac;
    ac.token = "fuzz-token";
    ac.request_timeout = request_timeout;
    ac.max_body = max_body;
    ac.max_header = max_header;
    the_admin = new hearth::admin_server(*the_node, ac);
    hearth::cluster::register_admin_routes(*the_admin, *cl);
    hearth::session::register_admin_routes(*the_admin, g);
    the_admin->start();
    static auto keep = cl;  // the cluster lives as long as the process
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in = hearth::fuzz::as_view(data, size);
    if (would_change_the_node(in)) return -1;  // not added to the corpus

    hearth::fuzz::loopback_client client(the_admin->port());
    FUZZ_CHECK(client.connected(), "cannot connect to the admin server: " + client.error());
    client.write(in);
    client.shutdown_send();

    // The server answers what it parsed, then closes (EOF, an error, or request_timeout).
    std::string out;
    const auto until = std::chrono::steady_clock::now() + request_timeout + 5s;
    for (;;) {
        const auto r = client.read_some(out, until);
        FUZZ_CHECK(r != hearth::fuzz::loopback_client::read_result::timeout,
                   "the admin server neither answered nor closed");
        if (r == hearth::fuzz::loopback_client::read_result::closed) break;
    }

    // Every response is well-formed HTTP with a documented status and a JSON error body.
    boost::beast::flat_buffer buf;
    if (!out.empty()) {  // nothing at all is right when the input held no request
        auto w = buf.prepare(out.size());
        std::memcpy(w.data(), out.data(), out.size());
        buf.commit(out.size());
    }
    const auto heads = head_requests(in);
    for (std::size_t answer = 0; buf.size() > 0; ++answer) {
        const bool head = answer < heads.size() && heads[answer];
        http::response_parser<http::string_body> parser;
        parser.body_limit(16 * 1024 * 1024);
        parser.eager(true);
        parser.skip(head);  // a HEAD's answer declares the GET's length but carries no body
        boost::beast::error_code ec;
        const auto used = parser.put(buf.data(), ec);
        buf.consume(used);
        if (!ec && !parser.is_done()) parser.put_eof(ec);
        FUZZ_CHECK(!ec && parser.is_done(), "a malformed HTTP response: " + ec.message() + "\n" + out);
        const auto& res = parser.get();
        static constexpr unsigned documented[] = {200, 202, 400, 401, 403, 404, 405,
                                                  409, 413, 417, 431, 500, 503};
        FUZZ_CHECK(
            std::find(std::begin(documented), std::end(documented), res.result_int()) != std::end(documented),
            "an undocumented status " + std::to_string(res.result_int()));
        if (!head && res[http::field::content_type] == "application/json") {
            const auto j = nlohmann::json::parse(res.body(), nullptr, false);
            FUZZ_CHECK(!j.is_discarded(), "a JSON response body that is not JSON");
            if (res.result_int() >= 400)
                FUZZ_CHECK(j.is_object() && j.contains("error") && j["error"].is_string(),
                           "an error response without {\"error\": ...}");
        }
    }
    return 0;
}

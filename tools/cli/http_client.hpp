#pragma once
// One HTTP/1.1 request to an admin endpoint (docs/admin.md) with Beast, on its own io_context.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "tools/cli/endpoint_url.hpp"

namespace hearth::tools {

struct http_answer {
    int status = 0;            ///< 200, 404, ...
    std::string reason;        ///< "OK", "Not Found", ...
    std::string content_type;  ///< the Content-Type header
    std::string body;
};

struct http_request {
    std::string method = "GET";  ///< GET, POST, PUT
    std::string target;          ///< "/cluster/reload?dry_run=1": path and query
    std::string body;            ///< sent with Content-Type application/json when not empty
    std::string token;           ///< "Authorization: Bearer TOKEN" when not empty
};

/// Connects to `url` (host and port; url.path is a prefix put before request.target, so a
/// proxied endpoint at http://host/hearth/ works), sends the request and reads the whole
/// answer, all within `timeout`. Returns the answer whatever its status, or nullopt and a
/// sentence in `error` when the endpoint cannot be reached or does not answer in HTTP.
/// Blocks the calling thread.
std::optional<http_answer> send_http(const endpoint_url& url, const http_request& request,
                                     std::chrono::milliseconds timeout, std::string& error);

}  // namespace hearth::tools

#include "tools/cli/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace hearth::tools {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The endpoint answers at most 1 MiB of JSON, but /metrics grows with the peers and gates.
constexpr std::size_t max_answer = 64 * 1024 * 1024;

asio::awaitable<void> exchange(const endpoint_url& url, const http_request& request,
                               std::chrono::milliseconds timeout, std::optional<http_answer>& answer,
                               std::string& error) {
    auto ex = co_await asio::this_coro::executor;
    const std::string where = "http://" + url.authority();
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
    if (rec) {
        error = "cannot resolve " + url.host + ": " + rec.message();
        co_return;
    }
    beast::tcp_stream stream(ex);
    stream.expires_after(timeout);
    if (auto [ec, ep] = co_await stream.async_connect(results, use_tuple); ec) {
        error = "cannot connect to " + where + ": " + ec.message();
        co_return;
    }
    std::string prefix = url.path;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();

    http::request<http::string_body> req;
    req.method(http::string_to_verb(request.method));
    req.target(prefix + request.target);
    req.version(11);
    req.set(http::field::host, url.authority());
    req.set(http::field::user_agent, "hearth-cli");
    req.set(http::field::connection, "close");
    if (!request.token.empty()) req.set(http::field::authorization, "Bearer " + request.token);
    if (!request.body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = request.body;
    req.prepare_payload();
    if (auto [ec, n] = co_await http::async_write(stream, req, use_tuple); ec) {
        error = "cannot send " + request.method + " " + request.target + " to " + where + ": " + ec.message();
        co_return;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_answer);
    if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple); ec) {
        error = ec == beast::error::timeout
                    ? where + " did not answer " + request.method + " " + request.target + " in time"
                    : "no HTTP answer from " + where + " to " + request.method + " " + request.target + ": " +
                          ec.message();
        co_return;
    }
    auto res = parser.release();
    http_answer a;
    a.status = static_cast<int>(res.result_int());
    a.reason = std::string(res.reason());
    a.content_type = std::string(res[http::field::content_type]);
    a.body = std::move(res.body());
    answer = std::move(a);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

std::optional<http_answer> send_http(const endpoint_url& url, const http_request& request,
                                     std::chrono::milliseconds timeout, std::string& error) {
    asio::io_context io(1);
    std::optional<http_answer> answer;
    std::exception_ptr failure;
    asio::co_spawn(io, exchange(url, request, timeout, answer, error),
                   [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            error = e.what();
        }
        return std::nullopt;
    }
    return answer;
}

}  // namespace hearth::tools

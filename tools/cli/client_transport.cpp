#include "tools/cli/client_transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

namespace hearth::tools {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::error_code to_std(const boost::system::error_code& ec) {
    return ec;
}

// Resolves and connects a tcp_stream within the stream's current expiry.
asio::awaitable<std::error_code> connect_stream(beast::tcp_stream& stream, const endpoint_url& url,
                                                std::chrono::milliseconds timeout) {
    tcp::resolver resolver(stream.get_executor());
    auto [rec, results] = co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
    if (rec) co_return to_std(rec);
    stream.expires_after(timeout);
    auto [cec, ep] = co_await stream.async_connect(results, use_tuple);
    if (cec) co_return to_std(cec);
    stream.socket().set_option(tcp::no_delay(true));
    co_return std::error_code{};
}

class tcp_transport final : public client_transport {
  public:
    explicit tcp_transport(asio::any_io_executor ex) : stream_(ex) {}

    asio::awaitable<std::error_code> connect(const endpoint_url& url,
                                             std::chrono::milliseconds timeout) override {
        auto ec = co_await connect_stream(stream_, url, timeout);
        stream_.expires_never();
        co_return ec;
    }
    asio::awaitable<std::error_code> read(std::string_view& chunk) override {
        auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buf_), use_tuple);
        chunk = std::string_view(buf_, n);
        co_return to_std(ec);
    }
    asio::awaitable<std::error_code> write(std::string_view bytes) override {
        auto [ec, n] =
            co_await asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()), use_tuple);
        co_return to_std(ec);
    }
    asio::awaitable<void> close(std::chrono::milliseconds) override {
        boost::system::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.socket().close(ignored);
        co_return;
    }
    void abort() noexcept override {
        boost::system::error_code ignored;
        stream_.socket().close(ignored);
    }
    std::string close_reason() const override { return {}; }

  private:
    beast::tcp_stream stream_;
    char buf_[16 * 1024];
};

class ws_transport final : public client_transport {
  public:
    explicit ws_transport(asio::any_io_executor ex) : ws_(ex) {}

    asio::awaitable<std::error_code> connect(const endpoint_url& url,
                                             std::chrono::milliseconds timeout) override {
        if (auto ec = co_await connect_stream(beast::get_lowest_layer(ws_), url, timeout)) co_return ec;
        beast::get_lowest_layer(ws_).expires_never();
        auto options = websocket::stream_base::timeout::suggested(beast::role_type::client);
        options.handshake_timeout = timeout;
        ws_.set_option(options);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "hearth-cli"); }));
        ws_.read_message_max(16 * 1024 * 1024);
        auto [ec] = co_await ws_.async_handshake(url.authority(), url.path, use_tuple);
        ws_.binary(true);
        co_return to_std(ec);
    }
    asio::awaitable<std::error_code> read(std::string_view& chunk) override {
        buf_.clear();
        auto [ec, n] = co_await ws_.async_read(buf_, use_tuple);
        const auto data = buf_.cdata();
        chunk = std::string_view(static_cast<const char*>(data.data()), data.size());
        co_return to_std(ec);
    }
    asio::awaitable<std::error_code> write(std::string_view bytes) override {
        auto [ec, n] = co_await ws_.async_write(asio::buffer(bytes.data(), bytes.size()), use_tuple);
        co_return to_std(ec);
    }
    asio::awaitable<void> close(std::chrono::milliseconds timeout) override {
        if (ws_.is_open()) {
            auto options = websocket::stream_base::timeout::suggested(beast::role_type::client);
            options.handshake_timeout = timeout;  // also bounds the wait for the server's close frame
            ws_.set_option(options);
            co_await ws_.async_close(websocket::close_code::normal, use_tuple);
        }
        boost::system::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }
    void abort() noexcept override {
        boost::system::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }
    std::string close_reason() const override {
        const auto& r = ws_.reason();
        if (r.code == websocket::close_code::none) return {};
        std::string text = std::to_string(static_cast<unsigned>(r.code));
        if (!r.reason.empty()) text += " " + std::string(r.reason.data(), r.reason.size());
        return text;
    }

  private:
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buf_;
};

}  // namespace

std::unique_ptr<client_transport> make_client_transport(const endpoint_url& url,
                                                        asio::any_io_executor executor) {
    if (url.scheme == "ws") return std::make_unique<ws_transport>(executor);
    return std::make_unique<tcp_transport>(executor);
}

}  // namespace hearth::tools

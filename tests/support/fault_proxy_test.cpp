#include "tests/support/fault_proxy.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <exception>
#include <functional>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using hearth::test::fault_proxy;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// An echo server on 127.0.0.1:0; with `upper` it echoes in upper case (to tell two apart).
class echo_server {
  public:
    echo_server(asio::io_context& ioc, bool upper)
        : acceptor_(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), upper_(upper) {
        asio::co_spawn(ioc, accept_loop(), asio::detached);
    }
    tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
    void stop() { acceptor_.close(); }

  private:
    asio::awaitable<void> accept_loop() {
        while (true) {
            auto [ec, sock] = co_await acceptor_.async_accept(use_tuple);
            if (ec) co_return;
            asio::co_spawn(acceptor_.get_executor(), echo(std::move(sock), upper_), asio::detached);
        }
    }
    static asio::awaitable<void> echo(tcp::socket sock, bool upper) {
        std::string buf(4096, '\0');
        while (true) {
            auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), use_tuple);
            if (ec) break;
            std::string out = buf.substr(0, n);
            if (upper)
                for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(out), use_tuple);
            (void)wn;
            if (wec) break;
        }
        error_code ignored;
        sock.shutdown(tcp::socket::shutdown_send, ignored);
        sock.close(ignored);
    }

    tcp::acceptor acceptor_;
    bool upper_;
};

// Runs `body` on `ioc` to completion; fails the test if it takes longer than `limit` (a hang).
void run(asio::io_context& ioc, asio::awaitable<void> body, std::chrono::seconds limit = 10s) {
    std::exception_ptr failure;
    bool done = false;
    asio::co_spawn(ioc, std::move(body), [&](std::exception_ptr e) {
        failure = e;
        done = true;
        ioc.stop();
    });
    asio::steady_timer watchdog(ioc, limit);
    watchdog.async_wait([&](error_code ec) {
        if (!ec) ioc.stop();
    });
    ioc.run();
    REQUIRE(done);  // false: the watchdog fired, the test body hung
    if (failure) std::rethrow_exception(failure);
}

// Reads some bytes, or returns timed_out after `limit`.
asio::awaitable<std::pair<error_code, std::string>> read_some_for(tcp::socket& s,
                                                                  std::chrono::milliseconds limit) {
    std::string buf(4096, '\0');
    asio::steady_timer timer(s.get_executor(), limit);
    auto r = co_await (s.async_read_some(asio::buffer(buf), use_tuple) || timer.async_wait(use_tuple));
    if (r.index() == 1) co_return std::pair<error_code, std::string>(asio::error::timed_out, "");
    auto [ec, n] = std::get<0>(r);
    buf.resize(n);
    co_return std::pair<error_code, std::string>(ec, buf);
}

// Writes `text` and reads until as many bytes came back (the echo), within 5 s.
asio::awaitable<std::string> round_trip(tcp::socket& s, std::string text) {
    auto [wec, wn] = co_await asio::async_write(s, asio::buffer(text), use_tuple);
    (void)wn;
    REQUIRE_FALSE(wec);
    std::string got;
    while (got.size() < text.size()) {
        auto [ec, part] = co_await read_some_for(s, 5000ms);
        REQUIRE_FALSE(ec);
        got += part;
    }
    co_return got;
}

asio::awaitable<tcp::socket> connect(tcp::endpoint ep) {
    tcp::socket s(co_await asio::this_coro::executor);
    auto [ec] = co_await s.async_connect(ep, use_tuple);
    REQUIRE_FALSE(ec);
    co_return s;
}

// Polls `pred` every millisecond until it holds; fails after `limit`.
asio::awaitable<void> wait_until(std::function<bool()> pred, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!pred()) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        timer.expires_after(1ms);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

// The same with a 5 s limit. A plain function: the std::function is built here, not as a
// temporary inside the caller's co_await expression (docs/framework.md, "Toolchain rules").
template <class Pred>
asio::awaitable<void> wait_until(Pred pred) {
    return wait_until(std::function<bool()>(std::move(pred)), 5000ms);
}

// Test bodies are named coroutines: captures of a coroutine lambda are easy to outlive.

asio::awaitable<void> forward_and_count(fault_proxy& proxy) {
    auto a = co_await connect(proxy.endpoint());
    auto b = co_await connect(proxy.endpoint());
    CHECK(co_await round_trip(a, "hello") == "hello");
    CHECK(co_await round_trip(b, "world") == "world");
    CHECK(proxy.total_connections() == 2);
    CHECK(proxy.live_connections() == 2);

    a.shutdown(tcp::socket::shutdown_send);
    auto [ec, rest] = co_await read_some_for(a, 5000ms);
    CHECK(ec == asio::error::eof);
    co_await wait_until([&] { return proxy.live_connections() == 1; });
    CHECK(proxy.total_connections() == 2);
}

asio::awaitable<void> delay_in_order(fault_proxy& proxy) {
    auto s = co_await connect(proxy.endpoint());
    proxy.set_delay(40ms);
    const auto start = std::chrono::steady_clock::now();
    CHECK(co_await round_trip(s, "abcdef") == "abcdef");
    // Delayed once toward the server and once back: a lower bound only, never an upper one.
    CHECK(std::chrono::steady_clock::now() - start >= 80ms);
    proxy.set_delay(0ms);
    CHECK(co_await round_trip(s, "ghi") == "ghi");
}

asio::awaitable<void> blackhole_and_lift(fault_proxy& proxy) {
    auto s = co_await connect(proxy.endpoint());
    CHECK(co_await round_trip(s, "one") == "one");
    proxy.set_blackhole(true);
    const std::string lost = "lost";
    auto [wec, wn] = co_await asio::async_write(s, asio::buffer(lost), use_tuple);
    (void)wn;
    REQUIRE_FALSE(wec);
    auto [ec, got] = co_await read_some_for(s, 100ms);
    CHECK(ec == asio::error::timed_out);
    CHECK(proxy.live_connections() == 1);

    // A connection accepted while blackholed is silent too.
    auto t = co_await connect(proxy.endpoint());
    const std::string x = "x";
    auto [wec2, wn2] = co_await asio::async_write(t, asio::buffer(x), use_tuple);
    (void)wn2;
    REQUIRE_FALSE(wec2);
    auto [ec2, got2] = co_await read_some_for(t, 50ms);
    CHECK(ec2 == asio::error::timed_out);

    proxy.set_blackhole(false);
    CHECK(co_await round_trip(s, "two") == "two");  // "lost" is gone for good
}

asio::awaitable<void> half_close(fault_proxy& proxy) {
    auto s = co_await connect(proxy.endpoint());
    CHECK(co_await round_trip(s, "ping") == "ping");
    proxy.half_close_clients();
    auto [ec, got] = co_await read_some_for(s, 5000ms);
    CHECK(ec == asio::error::eof);
}

asio::awaitable<void> reset_every_connection(fault_proxy& proxy) {
    auto a = co_await connect(proxy.endpoint());
    auto b = co_await connect(proxy.endpoint());
    CHECK(co_await round_trip(a, "a") == "a");
    CHECK(co_await round_trip(b, "b") == "b");
    proxy.reset_all();
    for (auto* s : {&a, &b}) {
        auto [ec, got] = co_await read_some_for(*s, 5000ms);
        CHECK(ec == asio::error::connection_reset);
    }
    co_await wait_until([&] { return proxy.live_connections() == 0; });
    // The proxy keeps accepting afterwards.
    auto c = co_await connect(proxy.endpoint());
    CHECK(co_await round_trip(c, "c") == "c");
}

asio::awaitable<void> refuse_until_lifted(fault_proxy& proxy) {
    auto existing = co_await connect(proxy.endpoint());
    // Round trip first: a connect completes in the kernel's backlog before the proxy accepts.
    CHECK(co_await round_trip(existing, "first") == "first");
    proxy.set_refuse(true);
    // The listener closes on the proxy's strand: retry until the refusal is visible.
    error_code ec;
    for (const auto deadline = std::chrono::steady_clock::now() + 5s;
         ec != asio::error::connection_refused && std::chrono::steady_clock::now() < deadline;) {
        tcp::socket probe(co_await asio::this_coro::executor);
        std::tie(ec) = co_await probe.async_connect(proxy.endpoint(), use_tuple);
    }
    CHECK(ec == asio::error::connection_refused);
    CHECK(co_await round_trip(existing, "still") == "still");

    proxy.set_refuse(false);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    tcp::socket s(co_await asio::this_coro::executor);
    while (true) {
        s = tcp::socket(co_await asio::this_coro::executor);
        std::tie(ec) = co_await s.async_connect(proxy.endpoint(), use_tuple);
        if (!ec) break;
        REQUIRE(std::chrono::steady_clock::now() < deadline);
    }
    CHECK(co_await round_trip(s, "back") == "back");
}

asio::awaitable<void> retarget_and_stop(fault_proxy& proxy, tcp::endpoint upper) {
    auto old_conn = co_await connect(proxy.endpoint());
    CHECK(co_await round_trip(old_conn, "abc") == "abc");
    proxy.set_target(upper);
    auto new_conn = co_await connect(proxy.endpoint());
    CHECK(co_await round_trip(new_conn, "abc") == "ABC");
    CHECK(co_await round_trip(old_conn, "def") == "def");

    proxy.stop();
    auto [ec, got] = co_await read_some_for(old_conn, 5000ms);
    CHECK(ec == asio::error::eof);
    co_await wait_until([&] { return proxy.live_connections() == 0; });
    CHECK(proxy.total_connections() == 2);
}

}  // namespace

TEST_CASE("the proxy forwards both ways, propagates EOF and counts connections") {
    asio::io_context ioc;
    echo_server echo(ioc, false);
    fault_proxy proxy(ioc, echo.endpoint());
    CHECK(proxy.port() != 0);
    run(ioc, forward_and_count(proxy));
}

TEST_CASE("delay holds every chunk back, in order") {
    asio::io_context ioc;
    echo_server echo(ioc, false);
    fault_proxy proxy(ioc, echo.endpoint());
    run(ioc, delay_in_order(proxy));
}

TEST_CASE("blackhole makes the peer silent without closing, and can be lifted") {
    asio::io_context ioc;
    echo_server echo(ioc, false);
    fault_proxy proxy(ioc, echo.endpoint());
    run(ioc, blackhole_and_lift(proxy));
}

TEST_CASE("half-close makes the client read EOF") {
    asio::io_context ioc;
    echo_server echo(ioc, false);
    fault_proxy proxy(ioc, echo.endpoint());
    run(ioc, half_close(proxy));
}

TEST_CASE("reset_all resets every connection") {
    asio::io_context ioc;
    echo_server echo(ioc, false);
    fault_proxy proxy(ioc, echo.endpoint());
    run(ioc, reset_every_connection(proxy));
}

TEST_CASE("refuse makes connects fail until lifted") {
    asio::io_context ioc;
    echo_server echo(ioc, false);
    fault_proxy proxy(ioc, echo.endpoint());
    run(ioc, refuse_until_lifted(proxy));
}

TEST_CASE("set_target sends new connections elsewhere; stop closes everything") {
    asio::io_context ioc;
    echo_server lower(ioc, false);
    echo_server upper(ioc, true);
    fault_proxy proxy(ioc, lower.endpoint());
    run(ioc, retarget_and_stop(proxy, upper.endpoint()));
}

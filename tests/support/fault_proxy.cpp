#include "tests/support/fault_proxy.hpp"

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace hearth::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using strand_type = asio::strand<asio::io_context::executor_type>;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Completion handler for the proxy's own coroutines: a test helper must not swallow bugs, but
// it must not take the test's io_context down either; exceptions are dropped after the
// coroutine has already cleaned up through RAII.
void on_done(std::exception_ptr) noexcept {}

struct connection;

}  // namespace

// Everything below is touched only on the strand, except the atomics and the target (mutex).
struct fault_proxy::state {
    explicit state(asio::io_context& ioc) : strand(asio::make_strand(ioc)), acceptor(strand) {}

    strand_type strand;
    tcp::acceptor acceptor;
    std::uint16_t port = 0;
    std::uint64_t accept_generation = 0;
    bool stopped = false;

    std::atomic<std::int64_t> delay_ms{0};
    std::atomic<bool> blackhole{false};
    std::atomic<std::size_t> live{0};
    std::atomic<std::size_t> total{0};

    std::mutex target_mutex;
    tcp::endpoint target;

    std::uint64_t next_id = 0;
    std::map<std::uint64_t, std::weak_ptr<connection>> connections;

    tcp::endpoint current_target() {
        std::lock_guard lock(target_mutex);
        return target;
    }
};

namespace {

using state = fault_proxy::state;

// One direction of a connection: a reader fills `queue`, a writer drains it when each chunk is
// due. `wake` is a timer that never expires on its own; cancelling it wakes the writer.
struct pipe {
    explicit pipe(const strand_type& s) : wake(s), due(s) {}
    std::deque<std::pair<clock::time_point, std::string>> queue;
    asio::steady_timer wake;
    asio::steady_timer due;
    bool eof = false;   // the reader saw EOF: shut down the destination after the queue
    bool shut = false;  // the destination's send side is shut: discard
};

struct connection : std::enable_shared_from_this<connection> {
    connection(std::shared_ptr<state> s, std::uint64_t id, tcp::socket c)
        : st(std::move(s)),
          id(id),
          client(std::move(c)),
          server(st->strand),
          to_server(st->strand),
          to_client(st->strand) {}

    std::shared_ptr<state> st;
    std::uint64_t id;
    tcp::socket client;
    tcp::socket server;
    pipe to_server;
    pipe to_client;
    int running = 0;  // reader/writer coroutines still alive
    bool closed = false;

    // Invariant: `live` counts connections not yet closed; close() is the one place that
    // decrements it, guarded by `closed`.
    void close(bool reset) {
        if (closed) return;
        closed = true;
        boost::system::error_code ignored;
        for (auto* s : {&client, &server}) {
            if (!s->is_open()) continue;
            if (reset)
                s->set_option(asio::socket_base::linger(true, 0), ignored);
            else
                s->shutdown(tcp::socket::shutdown_both, ignored);
            s->close(ignored);
        }
        for (auto* p : {&to_server, &to_client}) {
            p->wake.cancel();
            p->due.cancel();
            p->queue.clear();
        }
        st->connections.erase(id);
        st->live.fetch_sub(1);
    }

    void half_close_client() {
        if (closed || to_client.shut) return;
        boost::system::error_code ignored;
        client.shutdown(tcp::socket::shutdown_send, ignored);
        to_client.shut = true;
        to_client.queue.clear();
        to_client.wake.cancel();
    }

    void coroutine_exited() {
        if (--running == 0) close(false);
    }
};

asio::awaitable<void> read_side(std::shared_ptr<connection> c, tcp::socket& from, pipe& p) {
    std::string buf(16 * 1024, '\0');
    while (!c->closed) {
        auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), use_tuple);
        if (c->closed) break;
        if (ec == asio::error::eof) {
            p.eof = true;
            p.wake.cancel();
            break;
        }
        if (ec) {
            c->close(false);
            break;
        }
        if (c->st->blackhole.load() || p.shut) continue;
        const auto due = clock::now() + std::chrono::milliseconds(c->st->delay_ms.load());
        p.queue.emplace_back(due, buf.substr(0, n));
        p.wake.cancel();
    }
    c->coroutine_exited();
}

asio::awaitable<void> write_side(std::shared_ptr<connection> c, tcp::socket& to, pipe& p) {
    while (!c->closed) {
        if (p.queue.empty()) {
            if (p.eof) {
                boost::system::error_code ignored;
                to.shutdown(tcp::socket::shutdown_send, ignored);
                break;
            }
            p.wake.expires_at(clock::time_point::max());
            (void)co_await p.wake.async_wait(use_tuple);
            continue;
        }
        if (p.queue.front().first > clock::now()) {
            p.due.expires_at(p.queue.front().first);
            (void)co_await p.due.async_wait(use_tuple);
            continue;
        }
        std::string chunk = std::move(p.queue.front().second);
        p.queue.pop_front();
        if (c->st->blackhole.load() || p.shut) continue;
        auto [ec, n] = co_await asio::async_write(to, asio::buffer(chunk), use_tuple);
        (void)n;
        if (ec) {
            c->close(false);
            break;
        }
    }
    c->coroutine_exited();
}

asio::awaitable<void> serve(std::shared_ptr<connection> c) {
    const bool black = c->st->blackhole.load();
    if (!black) {
        const auto target = c->st->current_target();
        auto [ec] = co_await c->server.async_connect(target, use_tuple);
        if (ec || c->closed) {
            c->close(false);
            co_return;
        }
        boost::system::error_code ignored;
        c->server.set_option(tcp::no_delay(true), ignored);
    }
    const auto ex = c->st->strand;
    c->running = black ? 1 : 4;
    asio::co_spawn(ex, read_side(c, c->client, c->to_server), on_done);
    if (!black) {
        asio::co_spawn(ex, write_side(c, c->server, c->to_server), on_done);
        asio::co_spawn(ex, read_side(c, c->server, c->to_client), on_done);
        asio::co_spawn(ex, write_side(c, c->client, c->to_client), on_done);
    }
}

asio::awaitable<void> accept_loop(std::shared_ptr<state> st, std::uint64_t generation) {
    while (!st->stopped && st->accept_generation == generation) {
        auto [ec, sock] = co_await st->acceptor.async_accept(use_tuple);
        if (st->stopped || st->accept_generation != generation) break;
        if (ec) {
            if (ec == asio::error::operation_aborted || !st->acceptor.is_open()) break;
            continue;  // e.g. too many open files: keep serving the others
        }
        boost::system::error_code ignored;
        sock.set_option(tcp::no_delay(true), ignored);
        st->live.fetch_add(1);
        st->total.fetch_add(1);
        const auto id = st->next_id++;
        auto c = std::make_shared<connection>(st, id, std::move(sock));
        st->connections.emplace(id, c);
        asio::co_spawn(st->strand, serve(c), on_done);
    }
}

void open_acceptor(state& st, std::uint16_t port) {
    const tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), port);
    st.acceptor.open(ep.protocol());
    st.acceptor.set_option(asio::socket_base::reuse_address(true));
    st.acceptor.bind(ep);
    st.acceptor.listen();
    st.port = st.acceptor.local_endpoint().port();
}

template <class F>
void for_each_connection(state& st, F f) {
    // Copy first: f may close a connection, which erases it from the map.
    std::vector<std::shared_ptr<connection>> all;
    for (auto& [id, weak] : st.connections)
        if (auto c = weak.lock()) all.push_back(std::move(c));
    for (auto& c : all) f(*c);
}

}  // namespace

fault_proxy::fault_proxy(asio::io_context& ioc, tcp::endpoint target) : state_(std::make_shared<state>(ioc)) {
    state_->target = target;
    open_acceptor(*state_, 0);
    asio::co_spawn(state_->strand, accept_loop(state_, state_->accept_generation), on_done);
}

fault_proxy::~fault_proxy() {
    stop();
}

tcp::endpoint fault_proxy::endpoint() const noexcept {
    return {asio::ip::make_address_v4("127.0.0.1"), state_->port};
}

std::uint16_t fault_proxy::port() const noexcept {
    return state_->port;
}

void fault_proxy::set_delay(std::chrono::milliseconds delay) noexcept {
    state_->delay_ms.store(delay.count());
}

void fault_proxy::set_blackhole(bool on) noexcept {
    state_->blackhole.store(on);
    if (on)
        asio::post(state_->strand, [st = state_] {
            for_each_connection(*st, [](connection& c) {
                c.to_server.queue.clear();
                c.to_client.queue.clear();
            });
        });
}

void fault_proxy::set_refuse(bool on) {
    asio::post(state_->strand, [st = state_, on] {
        if (st->stopped) return;
        ++st->accept_generation;
        boost::system::error_code ignored;
        st->acceptor.close(ignored);
        if (on) return;
        try {
            open_acceptor(*st, st->port);
        } catch (const boost::system::system_error&) {
            return;  // the port was taken meanwhile; the test's connects will fail and say so
        }
        asio::co_spawn(st->strand, accept_loop(st, st->accept_generation), on_done);
    });
}

void fault_proxy::set_target(tcp::endpoint target) {
    std::lock_guard lock(state_->target_mutex);
    state_->target = target;
}

void fault_proxy::half_close_clients() {
    asio::post(state_->strand,
               [st = state_] { for_each_connection(*st, [](connection& c) { c.half_close_client(); }); });
}

void fault_proxy::reset_all() {
    asio::post(state_->strand,
               [st = state_] { for_each_connection(*st, [](connection& c) { c.close(true); }); });
}

void fault_proxy::stop() {
    asio::post(state_->strand, [st = state_] {
        if (st->stopped) return;
        st->stopped = true;
        boost::system::error_code ignored;
        st->acceptor.close(ignored);
        for_each_connection(*st, [](connection& c) { c.close(false); });
    });
}

std::size_t fault_proxy::live_connections() const noexcept {
    return state_->live.load();
}

std::size_t fault_proxy::total_connections() const noexcept {
    return state_->total.load();
}

}  // namespace hearth::test

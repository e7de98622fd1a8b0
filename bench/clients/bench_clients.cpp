// hearth_bench_clients: client-session benchmarks. The server (a node with a gate) runs in this
// process; the load generator is this same program re-executed in "--load" mode, so server and
// clients are separate processes sharing the machine.
//
//   hearth_bench_clients [--seconds N] [--clients 1000] [--sessions 10000] [--server-threads 1]
//                        [--only MODE]   MODE: idle, idle-tls, echo-tcp, echo-ws, echo-tls,
//                                        echo-wss, broadcast, handshake-tcp, handshake-tls
//
// One JSON line per result:
//   {"bench":"echo","transport":"tcp","clients":1000,"ops_per_s":...,"p50_us":...,"p99_us":...}
//   {"bench":"echo","transport":"ws"|"tls"|"wss",...}                   the same over ws, TLS, wss
//   {"bench":"broadcast","members":1000,"ops_per_s":...}         pushes delivered per second
//   {"bench":"idle_memory","transport":"ws"|"tls","sessions":10000,"bytes_per_session":...}
//   {"bench":"handshakes","transport":"tcp"|"tls","concurrency":50,"ops_per_s":...,"p50_us":...,
//    "p99_us":...}   new connections per second: connect (+ a full TLS handshake, ECDSA P-256,
//                    no session resumption), Pomelo handshake and its reply, close
//
// The TLS cases use a certificate made at start (tests/support/test_certs.hpp) in a temporary
// folder; the load generator verifies it against that CA, as a real client would.

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include "bench/support/bench_util.hpp"
#include "framework/fd_limit.hpp"
#include "framework/node.hpp"
#include "framework/service.hpp"
#include "session/gate.hpp"
#include "session/group.hpp"
#include "session/message.hpp"
#include "session/packet.hpp"
#include "session/ref.hpp"
#include "tests/support/test_certs.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace session = hearth::session;

using hearth::tuple_awaitable;

namespace {

// ---- server side -------------------------------------------------------------------------------

inline constexpr hearth::rpc::method<json, json> echo_m{"echo.echo"};
inline constexpr hearth::rpc::method<json, json> join_m{"bench.join"};
inline constexpr hearth::rpc::method<json, json> burst_m{"bench.burst"};

class echo_service : public hearth::service {
  public:
    echo_service() { handle(echo_m, &echo_service::on_echo); }

  private:
    hearth::awaitable<json> on_echo(json j) { co_return j; }
};

class bcast_service : public hearth::service {
  public:
    bcast_service() {
        handle(join_m, &bcast_service::on_join);
        handle(burst_m, &bcast_service::on_burst);
    }

  private:
    hearth::awaitable<json> on_join(const hearth::call_context& ctx, json) {
        members_.add(*session::ref::from(ctx));
        co_return json::object();
    }
    // Broadcasts n pushes to the group, then answers.
    hearth::awaitable<json> on_burst(json req) {
        const int n = req.value("n", 100);
        for (int i = 0; i < n; ++i) members_.broadcast_raw("onTick", "{\"t\":1}");
        co_return json::object();
    }
    session::group members_;
};

std::size_t resident_bytes() {
    std::ifstream in("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    in >> pages >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void raise_nofile() {
    (void)hearth::raise_open_file_limit();  // framework/fd_limit.hpp: soft to hard, as a node does
}

// ---- load generator side -----------------------------------------------------------------------

std::string request_packet(std::uint64_t id, std::string_view route, std::string_view payload) {
    session::message m;
    m.type = session::message_type::request;
    m.id = id;
    m.route = route;
    m.payload = payload;
    std::string out;
    (void)session::encode_data_packet(out, m);
    return out;
}

const std::string handshake_bytes = [] {
    std::string out;
    (void)session::encode_packet(out, session::packet_type::handshake,
                                 R"({"sys":{"type":"bench","version":"0.0.1"},"user":{}})");
    out.append(session::handshake_ack_packet);
    return out;
}();

using tls_socket = asio::ssl::stream<tcp::socket>;

// The transports a load client speaks.
enum class transport { tcp, ws, tls, wss };
const char* name_of(transport t) {
    switch (t) {
        case transport::tcp:
            return "tcp";
        case transport::ws:
            return "ws";
        case transport::tls:
            return "tls";
        case transport::wss:
            return "wss";
    }
    return "?";
}
bool is_tls(transport t) {
    return t == transport::tls || t == transport::wss;
}
bool is_ws(transport t) {
    return t == transport::ws || t == transport::wss;
}

// The client side's TLS context: trusts the CA file given with --ca (the bench's own).
asio::ssl::context& client_tls(const std::string& ca_file = {}) {
    static asio::ssl::context ctx = [&] {
        asio::ssl::context c(asio::ssl::context::tls_client);
        c.set_verify_mode(asio::ssl::verify_peer);
        if (!ca_file.empty()) c.load_verify_file(ca_file);
        return c;
    }();
    return ctx;
}

// One client connection over `Next` (a TCP socket, or TLS over one), speaking raw Pomelo
// packets or one packet per WebSocket message, read as a byte stream of packets.
template <class Next>
class basic_client {
  public:
    basic_client(asio::io_context& io, bool ws) : ws_(make(io)), is_ws_(ws) {}

    asio::awaitable<void> connect(tcp::endpoint ep) {
        auto& s = beast::get_lowest_layer(ws_);
        co_await s.async_connect(ep, asio::use_awaitable);
        s.set_option(tcp::no_delay(true));
        if constexpr (std::is_same_v<Next, tls_socket>) {
            ws_.next_layer().set_verify_callback(asio::ssl::host_name_verification("localhost"));
            co_await ws_.next_layer().async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        }
        if (is_ws_) {
            ws_.binary(true);
            ws_.auto_fragment(false);
            const std::string host = "127.0.0.1:" + std::to_string(ep.port());
            co_await ws_.async_handshake(host, "/ws", asio::use_awaitable);
        }
        co_await write(handshake_bytes);
    }

    asio::awaitable<void> write(std::string_view bytes) {
        if (is_ws_) {
            // One packet per message, as a careful client does.
            std::size_t off = 0;
            while (off < bytes.size()) {
                std::size_t len = 4 + ((static_cast<unsigned char>(bytes[off + 1]) << 16) |
                                       (static_cast<unsigned char>(bytes[off + 2]) << 8) |
                                       static_cast<unsigned char>(bytes[off + 3]));
                co_await ws_.async_write(asio::buffer(bytes.data() + off, len), asio::use_awaitable);
                off += len;
            }
        } else {
            co_await asio::async_write(ws_.next_layer(), asio::buffer(bytes.data(), bytes.size()),
                                       asio::use_awaitable);
        }
    }

    // Reads once; calls f(type, body) for every complete packet. False on close.
    template <class F>
    asio::awaitable<bool> read(F f) {
        if (buf_.size() - end_ < 16384) buf_.resize(std::max<std::size_t>(buf_.size() * 2, 65536));
        auto [ec, n] = is_ws_ ? co_await ws_.async_read_some(
                                    asio::buffer(buf_.data() + end_, buf_.size() - end_), tuple_awaitable)
                              : co_await ws_.next_layer().async_read_some(
                                    asio::buffer(buf_.data() + end_, buf_.size() - end_), tuple_awaitable);
        if (ec) co_return false;
        end_ += n;
        std::size_t off = 0;
        while (end_ - off >= 4) {
            const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + off);
            const std::size_t len = (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
            if (end_ - off < 4 + len) break;
            f(p[0], std::string_view(buf_.data() + off + 4, len));
            off += 4 + len;
        }
        if (off > 0) {
            std::memmove(buf_.data(), buf_.data() + off, end_ - off);
            end_ -= off;
        }
        co_return true;
    }

    void close() {
        boost::system::error_code ec;
        beast::get_lowest_layer(ws_).close(ec);
    }

  private:
    static beast::websocket::stream<Next> make(asio::io_context& io) {
        if constexpr (std::is_same_v<Next, tls_socket>)
            return beast::websocket::stream<Next>(io, client_tls());
        else
            return beast::websocket::stream<Next>(io);
    }
    beast::websocket::stream<Next> ws_;
    bool is_ws_;
    std::vector<char> buf_;
    std::size_t end_ = 0;
};
using client = basic_client<tcp::socket>;
using tls_client = basic_client<tls_socket>;

void spawn(asio::io_context& io, asio::awaitable<void> a) {
    asio::co_spawn(io, std::move(a), [](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            std::cerr << "load: client failed: " << x.what() << "\n";
        }
    });
}

// --load echo: closed-loop clients, one request in flight each.
struct echo_state {
    asio::io_context io{1};
    tcp::endpoint ep;
    transport t = transport::tcp;
    int clients = 0;
    double seconds = 0;
    hearth::bench::latencies lat;
    std::uint64_t done = 0;
    int connected = 0;
    std::chrono::steady_clock::time_point measure_from = std::chrono::steady_clock::time_point::max();
    std::chrono::steady_clock::time_point measure_to = std::chrono::steady_clock::time_point::max();
};

template <class Client>
asio::awaitable<void> echo_client(echo_state& st) {
    const std::string payload = R"({"msg":"hello!!"})";  // a 15-byte-ish JSON payload
    Client c(st.io, is_ws(st.t));
    co_await c.connect(st.ep);
    if (++st.connected == st.clients) {
        st.measure_from = std::chrono::steady_clock::now() + 500ms;  // warm-up
        st.measure_to = st.measure_from + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::duration<double>(st.seconds));
    }
    std::uint64_t id = 1;
    for (;;) {
        const auto t0 = std::chrono::steady_clock::now();
        if (t0 >= st.measure_to) break;
        const std::string req = request_packet(id++, "echo.echo", payload);
        co_await c.write(req);
        bool got = false;
        while (!got) {
            if (!co_await c.read([&](unsigned char type, std::string_view) { got = got || type == 4; }))
                co_return;
        }
        const auto t1 = std::chrono::steady_clock::now();
        if (t0 >= st.measure_from && t1 <= st.measure_to) {
            ++st.done;
            st.lat.add(t1 - t0);
        }
    }
}

int load_echo(tcp::endpoint ep, transport t, int clients, double seconds) {
    echo_state st;
    st.ep = ep;
    st.t = t;
    st.clients = clients;
    st.seconds = seconds;
    for (int i = 0; i < clients; ++i)
        spawn(st.io, is_tls(t) ? echo_client<tls_client>(st) : echo_client<client>(st));
    st.io.run();
    json out;
    out["bench"] = "echo";
    out["transport"] = name_of(t);
    out["clients"] = clients;
    out["ops_per_s"] = hearth::bench::round1(static_cast<double>(st.done) / seconds);
    out["p50_us"] = hearth::bench::round1(st.lat.percentile_us(50));
    out["p99_us"] = hearth::bench::round1(st.lat.percentile_us(99));
    hearth::bench::emit(out);
    return 0;
}

// --load broadcast: members join a group; member 0 asks for bursts of broadcasts and paces them
// by its own receipts (two bursts in flight); every member counts the pushes it receives.
struct broadcast_state {
    asio::io_context io{1};
    tcp::endpoint ep;
    int members = 0;
    double seconds = 0;
    std::uint64_t pushes = 0;
    std::uint64_t at_start = 0;
    int joined = 0;
    bool measuring = false;
    std::chrono::steady_clock::time_point t_start, t_end;
};

asio::awaitable<void> broadcast_member(broadcast_state& st, int index) {
    constexpr int burst = 50;
    const std::string burst_body = R"({"n":50})";
    client c(st.io, false);
    co_await c.connect(st.ep);
    co_await c.write(request_packet(1, "bench.join", "{}"));
    bool got = false;
    while (!got)
        if (!co_await c.read([&](unsigned char t, std::string_view) { got = got || t == 4; })) co_return;
    ++st.joined;
    std::uint64_t mine = 0, requested = 0, id = 2;
    if (index == 0) {
        asio::steady_timer t(st.io);
        while (st.joined < st.members) {
            t.expires_after(1ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        st.t_start = std::chrono::steady_clock::now();
        st.at_start = st.pushes;
        st.measuring = true;
        co_await c.write(request_packet(id++, "bench.burst", burst_body));
        co_await c.write(request_packet(id++, "bench.burst", burst_body));
        requested = 2 * burst;
    }
    for (;;) {
        if (!co_await c.read([&](unsigned char t, std::string_view body) {
                if (t == 4 && !body.empty() && ((static_cast<unsigned char>(body[0]) >> 1) & 7) == 3) {
                    ++mine;
                    ++st.pushes;
                }
            }))
            co_return;
        if (index != 0) continue;
        const auto now = std::chrono::steady_clock::now();
        if (now - st.t_start >= std::chrono::duration<double>(st.seconds)) {
            st.t_end = now;
            st.io.stop();
            co_return;
        }
        while (mine + burst >= requested) {
            co_await c.write(request_packet(id++, "bench.burst", burst_body));
            requested += burst;
        }
    }
}

int load_broadcast(tcp::endpoint ep, int members, double seconds) {
    broadcast_state st;
    st.ep = ep;
    st.members = members;
    st.seconds = seconds;
    for (int i = 0; i < members; ++i) spawn(st.io, broadcast_member(st, i));
    st.io.run();
    const double secs = std::chrono::duration<double>(st.t_end - st.t_start).count();
    json out;
    out["bench"] = "broadcast";
    out["members"] = members;
    out["ops_per_s"] = hearth::bench::round1(
        st.measuring && secs > 0 ? static_cast<double>(st.pushes - st.at_start) / secs : 0);
    hearth::bench::emit(out);
    return 0;
}

// --load idle: opens N WebSocket sessions (handshake + ack), prints "ready", holds them for
// `hold` seconds, exits.
template <class Client>
struct idle_state {
    asio::io_context io{1};
    tcp::endpoint ep;
    int sessions = 0;
    double hold = 0;
    int ready = 0;
    bool ws = true;
    std::vector<std::unique_ptr<Client>> all;
};

template <class Client>
asio::awaitable<void> idle_lane(idle_state<Client>& st, int lane, int lanes) {
    for (int i = lane; i < st.sessions; i += lanes) {
        auto c = std::make_unique<Client>(st.io, st.ws);
        co_await c->connect(st.ep);
        bool got = false;
        while (!got)
            if (!co_await c->read([&](unsigned char t, std::string_view) { got = got || t == 1; })) co_return;
        st.all.push_back(std::move(c));
        if (++st.ready == st.sessions) {
            std::cout << "ready" << std::endl;
            asio::steady_timer t(st.io, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::duration<double>(st.hold)));
            co_await t.async_wait(asio::use_awaitable);
            st.io.stop();
        }
    }
}

template <class Client>
int load_idle(tcp::endpoint ep, int sessions, double hold, bool ws) {
    idle_state<Client> st;
    st.ep = ep;
    st.sessions = sessions;
    st.hold = hold;
    st.ws = ws;
    constexpr int lanes = 64;
    for (int lane = 0; lane < lanes; ++lane) spawn(st.io, idle_lane(st, lane, lanes));
    st.io.run();
    return st.ready == sessions ? 0 : 1;
}

// --load handshake-*: `concurrency` lanes each open a connection, complete the transport's
// handshakes and the Pomelo handshake (until its reply), close, and start again.
struct handshake_state {
    asio::io_context io{1};
    tcp::endpoint ep;
    double seconds = 0;
    hearth::bench::latencies lat;
    std::uint64_t done = 0;
    std::uint64_t failed = 0;
    std::chrono::steady_clock::time_point measure_from, measure_to;
};

template <class Client>
asio::awaitable<void> handshake_lane(handshake_state& st) {
    for (;;) {
        const auto t0 = std::chrono::steady_clock::now();
        if (t0 >= st.measure_to) co_return;
        Client c(st.io, false);
        bool ok = true;
        try {
            co_await c.connect(st.ep);
        } catch (const std::exception&) {
            ok = false;
        }
        bool got = false;
        while (ok && !got)
            if (!co_await c.read([&](unsigned char t, std::string_view) { got = got || t == 1; })) ok = false;
        c.close();
        const auto t1 = std::chrono::steady_clock::now();
        if (!ok) {
            ++st.failed;
            continue;
        }
        if (t0 >= st.measure_from && t1 <= st.measure_to) {
            ++st.done;
            st.lat.add(t1 - t0);
        }
    }
}

int load_handshakes(tcp::endpoint ep, transport t, int concurrency, double seconds) {
    handshake_state st;
    st.ep = ep;
    st.seconds = seconds;
    st.measure_from = std::chrono::steady_clock::now() + 300ms;
    st.measure_to = st.measure_from + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::duration<double>(seconds));
    for (int i = 0; i < concurrency; ++i)
        spawn(st.io, is_tls(t) ? handshake_lane<tls_client>(st) : handshake_lane<client>(st));
    st.io.run();
    json out;
    out["bench"] = "handshakes";
    out["transport"] = name_of(t);
    out["concurrency"] = concurrency;
    out["ops_per_s"] = hearth::bench::round1(static_cast<double>(st.done) / seconds);
    out["p50_us"] = hearth::bench::round1(st.lat.percentile_us(50));
    out["p99_us"] = hearth::bench::round1(st.lat.percentile_us(99));
    out["failed"] = st.failed;
    hearth::bench::emit(out);
    return 0;
}

// ---- driver ------------------------------------------------------------------------------------

// The bench's certificates (a CA and a server certificate for localhost / 127.0.0.1) are made
// once per run in a temporary folder, removed at exit.
using bench_pki = hearth::test::temporary_pki;

struct server {
    server(unsigned threads, const bench_pki& pki) : n(config(threads)) {
        session::gate_options o;
        o.tcp_port = 0;
        o.ws_port = 0;
        o.tls_port = 0;
        o.wss_port = 0;
        o.tls.certificate_chain_file = pki.file("server.pem");
        o.tls.private_key_file = pki.file("server.key");
        o.max_queued_bytes = 16 * 1024 * 1024;
        o.max_queued_packets = 1 << 20;
        g = &n.add_service<session::gate>("gate", o);
        n.add_service<echo_service>("echo");
        n.add_service<bcast_service>("bench");
        n.start();
        if (!g->wait_listening(10s)) throw std::runtime_error(g->listen_error());
    }
    ~server() { n.stop(); }
    static hearth::node_config config(unsigned threads) {
        hearth::node_config c;
        c.name = "bench";
        c.threads = threads;
        c.log_level = "warn";
        return c;
    }
    hearth::node n;
    session::gate* g = nullptr;
};

std::string self_exe() {
    char buf[4096];
    auto n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

// Runs the load generator; returns its stdout lines.
FILE* start_load(const std::string& args) {
    const std::string cmd = self_exe() + " " + args;
    return popen(cmd.c_str(), "r");
}

std::string read_line(FILE* f) {
    std::string line;
    int ch;
    while ((ch = std::fgetc(f)) != EOF && ch != '\n') line.push_back(static_cast<char>(ch));
    return line;
}

}  // namespace

int main(int argc, char** argv) {
    raise_nofile();
    const std::string load = hearth::bench::flag(argc, argv, "load", "");
    const double seconds = hearth::bench::flag_double(argc, argv, "seconds", 5);
    const int clients = static_cast<int>(hearth::bench::flag_double(argc, argv, "clients", 1000));
    const int sessions = static_cast<int>(hearth::bench::flag_double(argc, argv, "sessions", 10000));
    if (!load.empty()) {
        tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                         static_cast<std::uint16_t>(hearth::bench::flag_double(argc, argv, "port", 1)));
        const std::string ca = hearth::bench::flag(argc, argv, "ca", "");
        if (!ca.empty()) client_tls(ca);
        const double hold = hearth::bench::flag_double(argc, argv, "hold", 2);
        if (load == "echo-tcp") return load_echo(ep, transport::tcp, clients, seconds);
        if (load == "echo-ws") return load_echo(ep, transport::ws, clients, seconds);
        if (load == "echo-tls") return load_echo(ep, transport::tls, clients, seconds);
        if (load == "echo-wss") return load_echo(ep, transport::wss, clients, seconds);
        if (load == "handshake-tcp") return load_handshakes(ep, transport::tcp, clients, seconds);
        if (load == "handshake-tls") return load_handshakes(ep, transport::tls, clients, seconds);
        if (load == "broadcast") return load_broadcast(ep, clients, seconds);
        if (load == "idle") return load_idle<client>(ep, sessions, hold, true);
        if (load == "idle-tls") return load_idle<tls_client>(ep, sessions, hold, false);
        std::cerr << "unknown --load mode\n";
        return 2;
    }
    const unsigned threads =
        static_cast<unsigned>(hearth::bench::flag_double(argc, argv, "server-threads", 1));
    const std::string only = hearth::bench::flag(argc, argv, "only", "");
    const std::string secs = std::to_string(seconds);

    const bench_pki pki;
    const std::string ca_arg = " --ca " + pki.file("ca.pem");

    // Idle memory first, on a fresh server, so freed buffers of other cases do not hide growth.
    for (const char* mode : {"idle", "idle-tls"}) {
        if (!only.empty() && only != mode) continue;
        const bool tls = std::string(mode) == "idle-tls";
        server s(threads, pki);
        const std::size_t before = resident_bytes();
        FILE* f = start_load(std::string("--load ") + mode + " --port " +
                             std::to_string(tls ? s.g->tls_port() : s.g->ws_port()) + " --sessions " +
                             std::to_string(sessions) + " --hold 2" + ca_arg);
        const std::string line = read_line(f);
        // The client saw every handshake reply; wait until the server counts every session.
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (s.g->session_count() < static_cast<std::size_t>(sessions) &&
               std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(10ms);
        const std::size_t after = resident_bytes();
        pclose(f);
        json out;
        out["bench"] = "idle_memory";
        out["transport"] = tls ? "tls" : "ws";
        out["sessions"] = sessions;
        out["bytes_per_session"] =
            line == "ready" ? static_cast<double>(after - std::min(after, before)) / sessions : -1.0;
        hearth::bench::emit(out);
    }
    // Handshakes: 50 connections at a time; echo: `clients` closed-loop clients.
    for (const char* mode :
         {"echo-tcp", "echo-ws", "echo-tls", "echo-wss", "broadcast", "handshake-tcp", "handshake-tls"}) {
        if (!only.empty() && only != mode) continue;
        server s(threads, pki);
        const std::string m = mode;
        const std::uint16_t port = m == "echo-ws"                            ? s.g->ws_port()
                                   : m == "echo-tls" || m == "handshake-tls" ? s.g->tls_port()
                                   : m == "echo-wss"                         ? s.g->wss_port()
                                                                             : s.g->tcp_port();
        const int n = m.rfind("handshake", 0) == 0 ? 50 : clients;
        FILE* f = start_load(std::string("--load ") + mode + " --port " + std::to_string(port) +
                             " --clients " + std::to_string(n) + " --seconds " + secs + ca_arg);
        const std::string line = read_line(f);
        pclose(f);
        if (!line.empty()) std::cout << line << std::endl;
    }
    return 0;
}

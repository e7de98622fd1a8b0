// hearth_bench_cluster: calls and notifies between two node processes over loopback.
//
//   hearth_bench_cluster [--seconds N] [--only call|notify|reconnect] [--payload B] [--callers N]
//                        [--codec json|cbor|msgpack]
//
// The program starts a second copy of itself (--serve) as the callee node, then prints one
// JSON line per result:
//   {"bench":"call","callers":256,"payload":64,"ops_per_s":...,"p50_us":...,"p99_us":...}
//   {"bench":"notify","payload":64,"ops_per_s":...}
//   {"bench":"reconnect","backoff_cap_ms":...,"recovered_ms":...}
// call: round trips with 1, 16 and 256 concurrent callers at 64 and 4096 bytes of payload;
// notify: one-way throughput counted at the receiver; reconnect: the callee is killed with
// SIGKILL and restarted, and recovered_ms is the time from its restart until a call succeeds
// again (it includes the new process's start-up).
// Each process runs one worker thread (two processes on a two-core machine).

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "bench/support/bench_util.hpp"
#include "cluster/cluster.hpp"
#include "framework/call.hpp"
#include "framework/timer.hpp"

extern char** environ;

using namespace hearth;
using namespace std::chrono_literals;

namespace {

inline constexpr rpc::method<std::string, std::string> echo_m{"bench.echo"};
inline constexpr rpc::method<std::string, void> sink_m{"bench.sink"};
inline constexpr rpc::method<int, std::uint64_t> count_m{"bench.count"};

class bench_service : public service {
  public:
    bench_service() {
        handle(echo_m, [](std::string s) -> awaitable<std::string> { co_return s; });
        handle(sink_m, [this](std::string) -> awaitable<void> {
            ++received_;
            co_return;
        });
        handle(count_m, [this](int) -> awaitable<std::uint64_t> { co_return received_; });
    }

  private:
    std::uint64_t received_ = 0;
};

// --codec json|cbor|msgpack (both processes): the payload codec of the cluster.
rpc::codec bench_codec = rpc::codec::json;

cluster::cluster_config make_config(std::uint16_t client_port, std::uint16_t server_port) {
    cluster::cluster_config c;
    c.cluster = "bench";
    c.codec = bench_codec;
    c.secret = "bench-secret";
    c.heartbeat = 500ms;
    c.nodes["client"] = cluster::endpoint{"127.0.0.1", client_port};
    c.nodes["server"] = cluster::endpoint{"127.0.0.1", server_port};
    return c;
}

cluster::cluster_options make_options() {
    cluster::cluster_options o;
    o.backoff_base = 50ms;
    o.backoff_cap = 1000ms;
    return o;
}

std::uint16_t free_port() {
    asio::io_context ctx;
    asio::ip::tcp::acceptor a(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

node_config one_worker(std::string name) {
    node_config c;
    c.name = std::move(name);
    c.threads = 1;
    c.log_level = "warn";
    return c;
}

int serve(std::uint16_t client_port, std::uint16_t server_port) {
    node n(one_worker("server"));
    n.add_service<bench_service>("bench");
    auto cfg = make_config(client_port, server_port);
    auto c = cluster::join(n, cfg, make_options());
    if (!c) {
        std::cerr << "serve: " << c.error().message << "\n";
        return 1;
    }
    n.run();  // until killed
    return 0;
}

pid_t spawn_server(const char* self, std::uint16_t client_port, std::uint16_t server_port) {
    const std::string cp = std::to_string(client_port), sp = std::to_string(server_port);
    const std::string codec(rpc::to_string(bench_codec));
    const char* args[] = {self,       "--serve", "--client-port", cp.c_str(), "--server-port",
                          sp.c_str(), "--codec", codec.c_str(),   nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, self, nullptr, nullptr, const_cast<char* const*>(args), environ) != 0) {
        std::perror("posix_spawn");
        std::exit(1);
    }
    return pid;
}

template <class Factory>
auto run_blocking(node& n, Factory f) {
    using T = typename std::invoke_result_t<Factory&>::value_type;
    std::promise<T> p;
    auto fut = p.get_future();
    asio::co_spawn(n.worker_at(0).executor(), std::move(f), [&p](std::exception_ptr e, T v) {
        if (e)
            p.set_exception(e);
        else
            p.set_value(std::move(v));
    });
    return fut.get();
}

struct call_result {
    std::uint64_t ops = 0;
    std::uint64_t errors = 0;
    double seconds = 0;
    bench::latencies lat;
};

awaitable<void> caller(std::string payload, clock::time_point until, std::shared_ptr<call_result> out) {
    while (clock::now() < until) {
        const auto t0 = clock::now();
        std::string req = payload;
        auto r = co_await call(echo_m, "bench@server", std::move(req), 5s);
        if (!r) {
            ++out->errors;
            continue;
        }
        out->lat.add(clock::now() - t0);
        ++out->ops;
    }
}

awaitable<std::shared_ptr<call_result>> run_calls(int callers, std::size_t payload_size, double seconds) {
    auto ex = co_await asio::this_coro::executor;
    auto out = std::make_shared<call_result>();
    out->lat.reserve(1 << 20);
    const std::string payload(payload_size, 'p');
    const auto start = clock::now();
    const auto until =
        start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    auto remaining = std::make_shared<int>(callers);
    asio::steady_timer done(ex, clock::time_point::max());
    for (int i = 0; i < callers; ++i)
        asio::co_spawn(ex, caller(payload, until, out), [remaining, &done](std::exception_ptr) {
            if (--*remaining == 0) done.cancel();
        });
    co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
    out->seconds = std::chrono::duration<double>(clock::now() - start).count();
    co_return out;
}

awaitable<nlohmann::json> run_notifies(std::size_t payload_size, double seconds) {
    auto ex = co_await asio::this_coro::executor;
    const std::string payload(payload_size, 'n');
    auto before = co_await call(count_m, "bench@server", 0, 10s);
    const std::uint64_t base = before ? *before : 0;
    const auto start = clock::now();
    const auto until =
        start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    std::uint64_t sent = 0, refused = 0;
    while (clock::now() < until) {
        for (int i = 0; i < 2048; ++i) {
            std::string s = payload;
            auto r = notify(sink_m, "bench@server", std::move(s));
            if (r) {
                ++sent;
            } else {
                // Backpressure: the queue to the server is full. A producer that keeps
                // retrying only burns the core the writer needs; yield instead.
                ++refused;
                break;
            }
        }
        // Let the sender's writer (same worker) run.
        co_await asio::post(ex, asio::use_awaitable);
    }
    // The count call travels behind every notify on the same link: when it answers, all the
    // notifies sent before it have been handled.
    std::uint64_t received = 0;
    for (;;) {
        auto after = co_await call(count_m, "bench@server", 0, 30s);
        if (!after && after.code() == rpc::errc::overloaded) {
            // The queue is still full of notifies: wait for it to drain.
            co_await hearth::sleep(10ms);
            continue;
        }
        if (!after) break;
        received = *after - base;
        if (received >= sent) break;
        co_await hearth::sleep(1ms);
    }
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    nlohmann::json j;
    j["bench"] = "notify";
    j["payload"] = payload_size;
    j["codec"] = rpc::to_string(bench_codec);
    j["ops_per_s"] = bench::round1(static_cast<double>(received) / elapsed);
    j["sent"] = sent;
    j["refused_overloaded"] = refused;
    co_return j;
}

awaitable<bool> one_call() {
    std::string s = "ping";
    auto r = co_await call(echo_m, "bench@server", std::move(s), 200ms);
    co_return r.has_value();
}

}  // namespace

int main(int argc, char** argv) {
    if (auto c = rpc::codec_from_string(bench::flag(argc, argv, "codec", "json"))) {
        bench_codec = *c;
    } else {
        std::cerr << "--codec must be json, cbor or msgpack\n";
        return 2;
    }
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == "--serve")
            return serve(static_cast<std::uint16_t>(std::stoi(bench::flag(argc, argv, "client-port", "0"))),
                         static_cast<std::uint16_t>(std::stoi(bench::flag(argc, argv, "server-port", "0"))));
    const double seconds = bench::flag_double(argc, argv, "seconds", 2);
    const std::string only = bench::flag(argc, argv, "only", "");
    // Optional filters for profiling one configuration: 0 = all.
    const auto only_payload = static_cast<std::size_t>(bench::flag_double(argc, argv, "payload", 0));
    const int only_callers = static_cast<int>(bench::flag_double(argc, argv, "callers", 0));
    const char* self = "/proc/self/exe";
    char path[4096];
    const auto len = readlink(self, path, sizeof path - 1);
    if (len > 0) {
        path[len] = 0;
        self = path;
    }

    node n(one_worker("client"));
    auto c = cluster::cluster::create(n, make_options());
    auto port = c->listen(cluster::endpoint{"127.0.0.1", 0});
    if (!port) {
        std::cerr << port.error().message << "\n";
        return 1;
    }
    const auto server_port = free_port();
    auto cfg = make_config(*port, server_port);
    if (auto ok = c->start(cfg); !ok) {
        std::cerr << ok.error().message << "\n";
        return 1;
    }
    n.start();
    auto sub = c->members().subscribe();
    pid_t server = spawn_server(self, *port, server_port);
    if (!sub->wait_for(10s) && c->members().state("server") != cluster::node_state::up) {
        std::cerr << "the server node did not come up\n";
        kill(server, SIGKILL);
        return 1;
    }

    if (only.empty() || only == "call") {
        for (std::size_t payload : {std::size_t{64}, std::size_t{4096}}) {
            if (only_payload && payload != only_payload) continue;
            for (int callers : {1, 16, 256}) {
                if (only_callers && callers != only_callers) continue;
                auto r = run_blocking(n, [&] { return run_calls(callers, payload, seconds); });
                nlohmann::json j;
                j["bench"] = "call";
                j["callers"] = callers;
                j["payload"] = payload;
                j["codec"] = rpc::to_string(bench_codec);
                j["ops_per_s"] = bench::round1(static_cast<double>(r->ops) / r->seconds);
                j["p50_us"] = bench::round1(r->lat.percentile_us(50));
                j["p99_us"] = bench::round1(r->lat.percentile_us(99));
                if (r->errors) j["errors"] = r->errors;
                bench::emit(j);
            }
        }
    }
    if (only.empty() || only == "notify") {
        bench::emit(run_blocking(n, [&] { return run_notifies(64, seconds); }));
    }
    if (only.empty() || only == "reconnect") {
        kill(server, SIGKILL);
        waitpid(server, nullptr, 0);
        // Wait until the client has noticed (the link is down), then restart the peer.
        while (c->members().state("server") == cluster::node_state::up) std::this_thread::sleep_for(1ms);
        const auto restarted = clock::now();
        server = spawn_server(self, *port, server_port);
        while (!run_blocking(n, [] { return one_call(); })) {
            if (clock::now() - restarted > 30s) break;
        }
        nlohmann::json j;
        j["bench"] = "reconnect";
        j["backoff_cap_ms"] = make_options().backoff_cap.count();
        j["recovered_ms"] =
            bench::round1(std::chrono::duration<double, std::milli>(clock::now() - restarted).count());
        bench::emit(j);
    }
    kill(server, SIGKILL);
    waitpid(server, nullptr, 0);
    c->close();
    n.stop();
    return 0;
}

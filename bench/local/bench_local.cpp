// hearth_bench_local: service-to-service calls and notifies inside one node.
//
//   hearth_bench_local [--seconds N] [--spin-us N] [--only call|notify] [--placement P] [--callers N]
//
// One JSON line per result:
//   {"bench":"call","placement":"same_worker","callers":256,"ops_per_s":...,"p50_us":...,"p99_us":...}
//   {"bench":"notify","placement":"cross_worker","ops_per_s":...}
// same_worker: caller and callee share one worker (a 1-thread node); cross_worker: the callee
// is on worker 1 and the callers on worker 0 of a 2-thread node.

#include <atomic>
#include <future>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>

#include "bench/support/bench_util.hpp"
#include "framework/call.hpp"

using namespace hearth;
using namespace std::chrono_literals;

namespace {

struct ping {
    std::uint32_t seq = 0;
    std::string text;
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(ping, seq, text)
};

inline constexpr rpc::method<ping, ping> echo_m{"bench.echo"};
inline constexpr rpc::method<ping, void> sink_m{"bench.sink"};

class bench_service : public service {
  public:
    bench_service() {
        handle(echo_m, [](ping p) -> awaitable<ping> { co_return p; });
        handle(sink_m, [this](ping) -> awaitable<void> {
            received.fetch_add(1, std::memory_order_relaxed);
            co_return;
        });
        set_mailbox_capacity(1 << 20);
    }
    std::atomic<std::uint64_t> received{0};
};

// --spin-us N: node_config::spin (how long an idle worker polls before it sleeps); -1: the
// default.
long spin_us = -1;

node_config bench_config(std::string name, unsigned threads) {
    node_config c;
    c.name = std::move(name);
    c.threads = threads;
    c.log_level = "warn";
    if (spin_us >= 0) c.spin = std::chrono::microseconds(spin_us);
    return c;
}

struct call_outcome {
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    bench::latencies lat;
};

/// `callers` coroutines on worker 0 call the echo service in a closed loop for `seconds`.
call_outcome run_calls(node& n, int callers, std::chrono::duration<double> seconds) {
    auto out = std::make_shared<call_outcome>();
    auto remaining = std::make_shared<int>(callers);
    std::promise<void> done;
    auto finished = done.get_future();
    const auto until = clock::now() + std::chrono::duration_cast<clock::duration>(seconds);
    asio::post(n.worker_at(0).executor(), [&, out, remaining, until] {
        for (int c = 0; c < callers; ++c) {
            asio::co_spawn(
                n.worker_at(0).executor(),
                [out, until]() -> awaitable<void> {
                    ping p{0, "0123456789abcd"};
                    while (true) {
                        const auto t0 = clock::now();
                        if (t0 >= until) break;
                        ++p.seq;
                        auto r = co_await call(echo_m, "bench", p, 5s);
                        if (r) {
                            ++out->ok;
                            out->lat.add(clock::now() - t0);
                        } else {
                            ++out->failed;
                        }
                    }
                },
                [remaining, &done](std::exception_ptr) {
                    if (--*remaining == 0) done.set_value();
                });
        }
    });
    finished.wait();
    return std::move(*out);
}

/// One sender on worker 0 sends notifies as fast as the mailbox bound allows for `seconds`.
double run_notifies(node& n, bench_service& svc, std::chrono::duration<double> seconds) {
    std::promise<std::uint64_t> sent_promise;
    auto sent_future = sent_promise.get_future();
    const auto duration = std::chrono::duration_cast<clock::duration>(seconds);
    const auto before = svc.received.load();
    const auto begin = clock::now();
    asio::co_spawn(
        n.worker_at(0).executor(),
        [duration]() -> awaitable<std::uint64_t> {
            const auto until = clock::now() + duration;
            std::uint64_t sent = 0;
            ping p{0, "0123456789abcd"};
            auto ex = co_await asio::this_coro::executor;
            while (clock::now() < until) {
                for (int i = 0; i < 256; ++i) {
                    ++p.seq;
                    if (notify(sink_m, "bench", p))
                        ++sent;
                    else
                        break;  // overloaded: let the receiver catch up
                }
                co_await asio::post(ex, asio::use_awaitable);
            }
            co_return sent;
        },
        [&sent_promise](std::exception_ptr, std::uint64_t sent) { sent_promise.set_value(sent); });
    const auto sent = sent_future.get();
    // Count what was received while sending, plus the tail still queued.
    while (svc.received.load() - before < sent) std::this_thread::yield();
    const auto elapsed = std::chrono::duration<double>(clock::now() - begin).count();
    return static_cast<double>(sent) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = bench::flag_double(argc, argv, "seconds", 3);
    const std::chrono::duration<double> per_case(seconds);
    spin_us = static_cast<long>(bench::flag_double(argc, argv, "spin-us", -1));
    const long spin = std::chrono::microseconds(bench_config("x", 1).spin).count();
    // Optional filters, for profiling one case: --only call|notify, --placement P, --callers N.
    const auto only = bench::flag(argc, argv, "only", "");
    const auto only_placement = bench::flag(argc, argv, "placement", "");
    const auto only_callers = bench::flag(argc, argv, "callers", "");
    auto skip = [&](std::string_view bench, std::string_view placement, int callers) {
        return (!only.empty() && only != bench) || (!only_placement.empty() && only_placement != placement) ||
               (!only_callers.empty() && callers > 0 && std::to_string(callers) != only_callers);
    };

    for (std::string placement : {"same_worker", "cross_worker"}) {
        const bool cross = placement == "cross_worker";
        for (int callers : {1, 16, 256}) {
            if (skip("call", placement, callers)) continue;
            node n(bench_config("bench-local", cross ? 2 : 1));
            service_options o;
            o.name = "bench";
            o.worker = cross ? 1u : 0u;
            n.add_service<bench_service>(o);
            n.start();
            // Warm up the runners and allocators, then measure.
            run_calls(n, callers, per_case / 10);
            const auto begin = clock::now();
            auto out = run_calls(n, callers, per_case);
            const double elapsed = std::chrono::duration<double>(clock::now() - begin).count();
            bench::emit({{"bench", "call"},
                         {"placement", placement},
                         {"callers", callers},
                         {"ops_per_s", std::llround(static_cast<double>(out.ok) / elapsed)},
                         {"p50_us", bench::round1(out.lat.percentile_us(50))},
                         {"p99_us", bench::round1(out.lat.percentile_us(99))},
                         {"errors", out.failed},
                         {"spin_us", spin}});
            n.stop();
        }
    }
    for (std::string placement : {"same_worker", "cross_worker"}) {
        const bool cross = placement == "cross_worker";
        if (skip("notify", placement, 0)) continue;
        node n(bench_config("bench-local", cross ? 2 : 1));
        service_options o;
        o.name = "bench";
        o.worker = cross ? 1u : 0u;
        auto& svc = n.add_service<bench_service>(o);
        n.start();
        run_notifies(n, svc, per_case / 10);
        const double rate = run_notifies(n, svc, per_case);
        bench::emit({{"bench", "notify"},
                     {"placement", placement},
                     {"ops_per_s", std::llround(rate)},
                     {"spin_us", spin}});
        n.stop();
    }
    return 0;
}

// Real node processes (hearth_example_cluster --node game-1) as children of the test, which is
// itself a cluster node ("tester"): a child killed with SIGKILL and restarted on the same
// address (callers see `unreachable` within their timeout, the link comes back with the new
// incarnation), and a child stopped with SIGSTOP (calls fail at their timeout, the link is
// declared down within the heartbeat bound, and it recovers after SIGCONT).

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <future>

#include "cluster/admin_routes.hpp"
#include "cluster/cluster.hpp"
#include "framework/call.hpp"
#include "tests/cluster/cluster_fixture.hpp"

using namespace std::chrono_literals;
using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using nlohmann::json;

namespace {

inline constexpr rpc::method<json, json> ping{"ping.ping"};

/// A child process running one example node; its stdout is read until "ready NAME".
class child_node {
  public:
    child_node(const std::string& config, const std::string& name) {
        int out[2];
        REQUIRE(::pipe(out) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            ::close(out[1]);
            ::execl(HEARTH_EXAMPLE_CLUSTER, HEARTH_EXAMPLE_CLUSTER, "--config", config.c_str(), "--node",
                    name.c_str(), "--log-level", "warn", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(out[1]);
        fd_ = out[0];
        ready_ = wait_line("ready " + name, 10s);
    }
    ~child_node() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (fd_ >= 0) ::close(fd_);
    }
    bool ready() const noexcept { return ready_; }
    void signal(int sig) { ::kill(pid_, sig); }
    /// SIGSTOP, returning once the kernel reports the process stopped.
    bool stop() {
        ::kill(pid_, SIGSTOP);
        int status = 0;
        return ::waitpid(pid_, &status, WUNTRACED) == pid_ && WIFSTOPPED(status);
    }
    /// SIGKILL and reap.
    void kill() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

  private:
    bool wait_line(const std::string& line, std::chrono::milliseconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        for (;;) {
            if (text_.find(line + "\n") != std::string::npos) return true;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
            char buf[512];
            const auto n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) return false;
            text_.append(buf, static_cast<std::size_t>(n));
        }
    }

    pid_t pid_ = -1;
    int fd_ = -1;
    std::string text_;
    bool ready_ = false;
};

result<json> ping_call(node& from, long sleep_ms, std::chrono::milliseconds timeout) {
    return hearth::testing::run_on(
        from, 0,
        [sleep_ms, timeout]() -> awaitable<result<json>> {
            json req;
            req["sleep_ms"] = sleep_ms;
            co_return co_await hearth::call(ping, "ping@game-1", req, timeout);
        },
        timeout + 5000ms);
}

}  // namespace

TEST_CASE("multi-process: SIGKILL and restart on the same address; SIGSTOP and SIGCONT", "[multiprocess]") {
    node tester(hearth::testing::test_config("tester", 2));
    auto options = fast_options();
    auto c = hearth::cluster::cluster::create(tester, options);
    auto port = c->listen(endpoint{"127.0.0.1", 0});
    REQUIRE(port);
    const auto child_port = dead_port();
    const std::chrono::milliseconds heartbeat(100);

    json file;
    file["admin"] = json::object({{"token", "t"}});
    file["nodes"]["game-1"] = json::object({{"admin_port", 0}, {"threads", 1}});
    file["cluster"]["cluster"] = "multiprocess";
    file["cluster"]["secret"] = "s3cret";
    file["cluster"]["heartbeat_ms"] = heartbeat.count();
    file["cluster"]["nodes"]["tester"] = "127.0.0.1:" + std::to_string(*port);
    file["cluster"]["nodes"]["game-1"] = "127.0.0.1:" + std::to_string(child_port);
    const std::string path = "hearth_multiprocess_" + std::to_string(::getpid()) + ".json";
    std::ofstream(path) << file.dump(2);
    auto cfg = hearth::cluster::load_config_member(path);
    REQUIRE(cfg);

    auto events = c->members().subscribe();
    REQUIRE(c->start(*cfg));
    tester.start();

    auto child = std::make_unique<child_node>(path, "game-1");
    REQUIRE(child->ready());
    auto up = wait_event(*events, membership_event_kind::node_up, "game-1");
    REQUIRE(up);
    auto first = ping_call(tester, 0, 2000ms);
    REQUIRE(first);
    CHECK((*first)["node"] == "game-1");
    const auto first_incarnation = up->incarnation;

    SECTION("SIGKILL, then a restart on the same address") {
        // A call in flight when the process dies fails `unreachable` before its timeout.
        auto pending = std::async(std::launch::async, [&] { return ping_call(tester, 5000, 3000ms); });
        REQUIRE(hearth::testing::eventually([&] { return c->stats("game-1")->in_flight == 1; }, 5000ms));
        const auto killed_at = std::chrono::steady_clock::now();
        child->kill();
        auto r = pending.get();
        REQUIRE_FALSE(r);
        CHECK(r.code() == rpc::errc::unreachable);
        CHECK(std::chrono::steady_clock::now() - killed_at < 3000ms);
        REQUIRE(wait_event(*events, membership_event_kind::node_down, "game-1"));
        // While it is down a new call waits in the bounded queue: it fails at its own timeout.
        const auto call_at = std::chrono::steady_clock::now();
        auto queued = ping_call(tester, 0, 300ms);
        CHECK_FALSE(queued);
        CHECK(std::chrono::steady_clock::now() - call_at < 300ms + 500ms);

        child = std::make_unique<child_node>(path, "game-1");
        REQUIRE(child->ready());
        const auto restarted_at = std::chrono::steady_clock::now();
        auto again = wait_event(*events, membership_event_kind::node_up, "game-1");
        REQUIRE(again);
        CHECK(again->incarnation != first_incarnation);
        CHECK(std::chrono::steady_clock::now() - restarted_at < options.backoff_cap + 1000ms);
        auto ok = ping_call(tester, 0, 2000ms);
        REQUIRE(ok);
        CHECK((*ok)["node"] == "game-1");
    }

    SECTION("SIGSTOP: calls time out, the link goes down within the heartbeat bound, SIGCONT recovers") {
        REQUIRE(child->stop());
        const auto stopped_at = std::chrono::steady_clock::now();
        const auto t0 = std::chrono::steady_clock::now();
        auto r = ping_call(tester, 0, 250ms);
        const auto took = std::chrono::steady_clock::now() - t0;
        REQUIRE_FALSE(r);
        CHECK((r.code() == rpc::errc::timeout || r.code() == rpc::errc::unreachable));
        CHECK(took < 250ms + 500ms);
        auto down = wait_event(*events, membership_event_kind::node_down, "game-1", 5000ms);
        REQUIRE(down);
        // Silent for silent_intervals heartbeats (plus one interval of timer granularity).
        CHECK(std::chrono::steady_clock::now() - stopped_at <
              heartbeat * (options.silent_intervals + 1) + 1000ms);

        child->signal(SIGCONT);
        auto back = wait_event(*events, membership_event_kind::node_up, "game-1", 10000ms);
        REQUIRE(back);
        CHECK(back->incarnation == first_incarnation);
        auto ok = ping_call(tester, 0, 2000ms);
        REQUIRE(ok);
    }

    SECTION("SIGSTOP: a call that timed out while the callee was stopped never runs after SIGCONT") {
        // The call frame reaches the stopped process's receive buffer at once; its deadline
        // passes while the process cannot read. After SIGCONT the agent reads it and must answer
        // `timeout` without running it (the time it spent stopped counts).
        auto before = ping_call(tester, 0, 2000ms);
        REQUIRE(before);
        const auto served_before = (*before)["served"].get<std::uint64_t>();
        REQUIRE(child->stop());
        auto r = ping_call(tester, 0, 250ms);
        REQUIRE_FALSE(r);
        CHECK(r.code() == rpc::errc::timeout);
        // Still stopped when the link is declared silent; the new link after SIGCONT is the
        // only one the next ping can travel on (so no other ping can have run meanwhile).
        REQUIRE(wait_event(*events, membership_event_kind::node_down, "game-1", 5000ms));
        child->signal(SIGCONT);
        REQUIRE(wait_event(*events, membership_event_kind::node_up, "game-1", 10000ms));
        auto after = ping_call(tester, 0, 2000ms);
        REQUIRE(after);
        CHECK((*after)["incarnation"] == (*before)["incarnation"]);
        CHECK((*after)["served"].get<std::uint64_t>() == served_before + 1);  // the expired call never ran
    }

    child.reset();
    tester.stop();
    std::remove(path.c_str());
}

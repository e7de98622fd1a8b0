// What belongs to a peer rather than to one sender object (cluster/detail/peer_record.hpp):
// one outbound socket per peer at every instant whatever creates senders, the reconnect
// counter and the "cannot reach" log limiter across senders that reloads re-create.
#include "cluster/detail/peer_record.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "framework/metrics.hpp"
#include "tests/cluster/cluster_fixture.hpp"

using namespace hearth;
using namespace hearth::cluster;
using namespace hearth::cluster::testing;
using hearth::testing::eventually;

namespace {

/// Everything written to stdout (where the nodes log) while it lives, readable at the end.
class stdout_capture {
  public:
    stdout_capture() : path_("hearth_peer_record_" + std::to_string(::getpid()) + ".log") {
        std::fflush(stdout);
        saved_ = ::dup(STDOUT_FILENO);
        const int fd = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
        REQUIRE(fd >= 0);
        ::dup2(fd, STDOUT_FILENO);
        ::close(fd);
    }
    ~stdout_capture() {
        restore();
        std::remove(path_.c_str());
    }
    std::string finish() {
        restore();
        std::ifstream in(path_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

  private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stdout);
        ::dup2(saved_, STDOUT_FILENO);
        ::close(saved_);
        saved_ = -1;
    }
    std::string path_;
    int saved_ = -1;
};

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("peer_record: one socket slot per peer; waiters are woken when it is released", "[cluster][peer]") {
    hearth::cluster::detail::peer_record r(1000ms);
    int old_sender = 0, new_sender = 0;
    int woken = 0;
    REQUIRE(r.try_acquire(&old_sender, [] {}));
    CHECK(r.try_acquire(&old_sender, [] {}));  // already its own
    CHECK_FALSE(r.try_acquire(&new_sender, [&] { ++woken; }));
    r.release(&new_sender);  // not the holder: nothing happens
    CHECK(woken == 0);
    CHECK_FALSE(r.try_acquire(&new_sender, [&] { ++woken; }));
    r.release(&old_sender);
    CHECK(woken == 2);  // each registered wake-up runs once
    CHECK(r.try_acquire(&new_sender, [] {}));
    r.release(&old_sender);  // a second release by the old holder cannot free the new one's slot
    CHECK_FALSE(r.try_acquire(&old_sender, [] {}));

    r.socket_opened();
    r.socket_opened();
    r.socket_closed();
    CHECK(r.live_sockets() == 1);
    CHECK(r.max_live_sockets() == 2);

    CHECK_FALSE(r.count_link_up());
    CHECK(r.count_link_up());
    CHECK(r.links_up() == 2);

    std::uint64_t suppressed = 99;
    CHECK(r.allow_cannot_reach_log(suppressed));
    CHECK(suppressed == 0);
    CHECK_FALSE(r.allow_cannot_reach_log(suppressed));
}

TEST_CASE("reload bursts that remove and re-add a peer named by a host name: never two sockets to it",
          "[cluster][peer]") {
    fixture f;
    f.add("a");
    f.add("b");
    // b by host name: each new sender resolves first, the window in which an old sender's
    // late connect used to overlap the new one's.
    auto full = f.config();
    full.nodes["b"] = endpoint{"localhost", f.at("b").port};
    auto without_b = full;
    without_b.nodes.erase("b");
    auto& ac = *f.at("a").c;
    auto& bc = *f.at("b").c;
    f.start("a", full);
    f.start("b", f.config());
    REQUIRE(wait_sender_up(ac, "b"));

    for (int burst = 0; burst < 5; ++burst) {
        for (int i = 0; i < 10; ++i) {
            REQUIRE(ac.reload(without_b));
            REQUIRE(ac.reload(full));
        }
        REQUIRE(wait_sender_up(ac, "b"));
        REQUIRE(echo_call(*f.at("a").n, "echo@b", "after burst").has_value());
    }
    auto s = ac.stats("b");
    REQUIRE(s);
    CHECK(s->max_live_sockets == 1);
    CHECK(s->live_sockets == 1);
    // The peer counts every link it had, over all the senders the reloads made.
    CHECK(s->peer_links_up >= 6);
    CHECK(bc.stats("a")->max_live_sockets == 1);
}

TEST_CASE("nodes started together while their peers are not yet listening: one socket per peer",
          "[cluster][peer]") {
    // Three nodes whose configuration names ports nobody listens on yet: each keeps failing
    // to connect until the others listen, then every pair links once.
    std::vector<std::uint16_t> ports{dead_port(), dead_port(), dead_port()};
    const std::vector<std::string> names{"n1", "n2", "n3"};
    cluster_config cfg;
    cfg.cluster = "test";
    cfg.secret = "s3cret";
    cfg.heartbeat = 50ms;
    for (std::size_t i = 0; i < 3; ++i) cfg.nodes[names[i]] = endpoint{"127.0.0.1", ports[i]};

    // Each starts dialling the others at once; the later ones are not listening yet, so the
    // first connects are refused and retried.
    std::vector<std::unique_ptr<node>> nodes;
    std::vector<std::shared_ptr<hearth::cluster::cluster>> clusters;
    for (std::size_t i = 0; i < 3; ++i) {
        nodes.push_back(std::make_unique<node>(hearth::testing::test_config(names[i], 2)));
        nodes.back()->add_service<hearth::testing::echo_service>("echo");
        clusters.push_back(hearth::cluster::cluster::create(*nodes.back(), fast_options()));
        REQUIRE(clusters[i]->listen(endpoint{"127.0.0.1", ports[i]}));
        REQUIRE(clusters[i]->start(cfg));
        nodes[i]->start();
    }
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            if (i != j) REQUIRE(wait_sender_up(*clusters[i], names[j]));
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            if (i != j) {
                auto s = clusters[i]->stats(names[j]);
                CHECK(s->max_live_sockets == 1);
                CHECK(s->live_sockets == 1);
            }
    for (std::size_t i = 0; i < 3; ++i) {
        clusters[i]->close();
        nodes[i]->stop();
    }
}

TEST_CASE(
    "a sender a reload re-created: its first link is a reconnect; its failures share the peer's log limit",
    "[cluster][peer]") {
    fixture f;
    auto o = fast_options();
    o.log_interval = 60s;
    f.add("a", 0, o);
    f.add("b");
    auto full = f.config();
    auto without_b = full;
    without_b.nodes.erase("b");
    auto& ac = *f.at("a").c;
    auto& metrics = f.at("a").n->metrics();
    auto reconnects = [&] {
        return metrics
            .counter("hearth_cluster_reconnects_total", "Links re-established after a failure.",
                     {{"peer", "b"}})
            .value();
    };
    f.start("a", full);
    f.start("b", full);
    REQUIRE(wait_sender_up(ac, "b"));
    CHECK(reconnects() == 0);

    REQUIRE(ac.reload(without_b));
    REQUIRE(ac.reload(full));
    REQUIRE(wait_sender_up(ac, "b"));
    CHECK(ac.stats("b")->links_up == 1);  // the new sender's first link...
    CHECK(reconnects() == 1);             // ...is the peer's second
    CHECK(ac.stats("b")->peer_links_up == 2);

    // b goes away; a burst of reloads re-creates a's sender each time, and each new sender
    // fails to reach b: the peer's limiter lets one line through, not one per reload.
    stdout_capture out;
    f.kill("b");
    for (int i = 0; i < 8; ++i) {
        REQUIRE(ac.reload(without_b));
        REQUIRE(ac.reload(full));
        REQUIRE(eventually([&] {
            auto s = ac.stats("b");
            return s && s->connect_attempts >= 1 && !s->last_failure.empty();
        }));
    }
    const auto text = out.finish();
    // Eight senders failed (the loop saw each fail); at most one line, the limiter's first in
    // this interval (none if an earlier failure of b already used it).
    CHECK(count_of(text, "cannot reach 'b'") <= 1);
    CHECK(count_of(text, "link to 'b' is down") == 1);  // the capture did see the logs
}

#pragma once
// Several cluster nodes in one test process on 127.0.0.1, each listening on a port chosen by
// the kernel, with short heartbeats and backoffs so failures are detected in milliseconds.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "cluster/cluster.hpp"
#include "framework/node.hpp"
#include "tests/framework/harness.hpp"
#include "tests/framework/test_services.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/test_certs.hpp"

namespace hearth::cluster::testing {

using namespace std::chrono_literals;
using hearth::testing::run_on;

inline cluster_options fast_options() {
    cluster_options o;
    o.backoff_base = 20ms;
    o.backoff_cap = 200ms;
    o.stable_after = 500ms;
    o.handshake_timeout = 400ms;
    o.log_interval = 1000ms;
    return o;
}

struct test_node {
    std::unique_ptr<hearth::node> n;
    std::shared_ptr<cluster> c;
    std::uint16_t port = 0;
    hearth::testing::echo_service* echo = nullptr;
};

/// Whether a fixture's links run over mutual TLS (docs/protocol.md 1.1).
enum class link_security { plain, tls };

/// Owns nodes (and an io_context thread for fault proxies). Nodes are destroyed in reverse
/// order of creation. With link_security::tls, config() turns cluster TLS on with a CA made for
/// the fixture and one certificate per node (named after it) in a temporary folder.
class fixture {
  public:
    explicit fixture(link_security security = link_security::plain)
        : work_(asio::make_work_guard(proxy_ctx_)), proxy_thread_([this] { proxy_ctx_.run(); }) {
        if (security == link_security::tls) {
            static std::atomic<int> serial{0};
            pki_dir_ = std::filesystem::temp_directory_path() /
                       ("hearth-cluster-tls-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
            std::filesystem::create_directories(pki_dir_);
            ca_.emplace("Hearth Test Cluster CA");
            hearth::test::write_text_file(pki_dir_ / "ca.pem", ca_->certificate());
        }
    }
    ~fixture() {
        for (auto it = order_.rbegin(); it != order_.rend(); ++it) kill(*it);
        proxies_.clear();
        work_.reset();
        proxy_ctx_.stop();
        proxy_thread_.join();
        if (!pki_dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(pki_dir_, ec);
        }
    }

    bool tls() const noexcept { return ca_.has_value(); }
    const std::filesystem::path& pki_dir() const noexcept { return pki_dir_; }
    /// Writes `node`'s certificate and key (PKI folder, "<node>.pem"/".key"): issued by the
    /// fixture's CA (or `by`) and naming `names_node` (default: the node itself).
    void issue_certificate(const std::string& node, const std::string& names_node = {},
                           const hearth::test::test_ca* by = nullptr) {
        const std::string name = names_node.empty() ? node : names_node;
        const auto p = (by ? *by : *ca_).issue(hearth::test::leaf_spec::named(name, {name}));
        hearth::test::write_text_file(pki_dir_ / (node + ".pem"), p.certificate);
        hearth::test::write_text_file(pki_dir_ / (node + ".key"), p.private_key);
    }

    /// A node with an echo service, its cluster listening on 127.0.0.1:`port` (0 = any).
    test_node& add(const std::string& name, std::uint16_t port = 0, cluster_options o = fast_options(),
                   unsigned threads = 2) {
        auto& t = nodes_[name];
        t = test_node{};
        t.n = std::make_unique<hearth::node>(hearth::testing::test_config(name, threads));
        t.echo = &t.n->add_service<hearth::testing::echo_service>("echo");
        if (tls() && !std::filesystem::exists(pki_dir_ / (name + ".pem"))) issue_certificate(name);
        t.c = cluster::create(*t.n, o);
        auto p = t.c->listen(endpoint{"127.0.0.1", port});
        if (!p) throw std::runtime_error(p.error().message);
        t.port = *p;
        if (std::find(order_.begin(), order_.end(), name) == order_.end()) order_.push_back(name);
        return t;
    }
    test_node& at(const std::string& name) { return nodes_.at(name); }

    /// The cluster's base configuration: every node added so far at its real port.
    cluster_config config(std::chrono::milliseconds heartbeat = 50ms) const {
        cluster_config c;
        c.cluster = "test";
        c.secret = "s3cret";
        c.heartbeat = heartbeat;
        for (auto& [name, t] : nodes_) c.nodes[name] = endpoint{"127.0.0.1", t.port};
        if (tls()) {
            c.tls.certificate_chain_file = (pki_dir_ / "{node}.pem").string();
            c.tls.private_key_file = (pki_dir_ / "{node}.key").string();
            c.tls.ca_file = (pki_dir_ / "ca.pem").string();
        }
        return c;
    }

    void start(const std::string& name, const cluster_config& cfg) {
        auto& t = nodes_.at(name);
        auto ok = t.c->start(cfg);
        if (!ok) throw std::runtime_error(ok.error().message);
        t.n->start();
    }

    /// Crash-like stop: every link closes without a leave announcement, then the node goes.
    void kill(const std::string& name) {
        auto it = nodes_.find(name);
        if (it == nodes_.end() || !it->second.n) return;
        it->second.c->close();
        it->second.c.reset();
        it->second.n.reset();
    }

    hearth::test::fault_proxy& proxy_to(const std::string& name) {
        auto& t = nodes_.at(name);
        boost::asio::ip::tcp::endpoint target(boost::asio::ip::make_address("127.0.0.1"), t.port);
        proxies_.push_back(std::make_unique<hearth::test::fault_proxy>(proxy_ctx_, target));
        return *proxies_.back();
    }

  private:
    boost::asio::io_context proxy_ctx_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread proxy_thread_;
    std::map<std::string, test_node> nodes_;
    std::vector<std::string> order_;
    std::vector<std::unique_ptr<hearth::test::fault_proxy>> proxies_;
    std::filesystem::path pki_dir_;
    std::optional<hearth::test::test_ca> ca_;
};

/// Catch2: runs the enclosing test case once over plain links and once over mutual TLS.
#define HEARTH_LINK_SECURITY() \
    GENERATE(::hearth::cluster::testing::link_security::plain, ::hearth::cluster::testing::link_security::tls)

/// A port nothing listens on (bound, then closed again).
inline std::uint16_t dead_port() {
    boost::asio::io_context ctx;
    boost::asio::ip::tcp::acceptor acc(ctx, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return acc.local_endpoint().port();
}

/// Waits (on the test thread) for an event of `kind` about `node`; other events are skipped
/// and returned through `skipped` when given.
inline std::optional<membership_event> wait_event(subscription& s, membership_event_kind kind,
                                                  const std::string& node,
                                                  std::chrono::milliseconds deadline = 5000ms) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto e = s.wait_for(left);
        if (!e) return std::nullopt;
        if (e->kind == kind && e->node == node) return e;
    }
}

/// Waits until `peer` is up as seen by `c`.
inline bool wait_up(cluster& c, const std::string& peer, std::chrono::milliseconds deadline = 5000ms) {
    return hearth::testing::eventually([&] { return c.members().state(peer) == node_state::up; }, deadline);
}

/// Waits until this node's own sender has a link up to `peer`. (Membership can report `up`
/// earlier: the peer's inbound link reaching this node's agent also proves the peer alive.)
inline bool wait_sender_up(cluster& c, const std::string& peer, std::chrono::milliseconds deadline = 5000ms) {
    return hearth::testing::eventually(
        [&] {
            auto s = c.stats(peer);
            return s && s->links_up >= 1 && c.members().state(peer) == node_state::up;
        },
        deadline);
}

inline result<hearth::testing::echo_resp> echo_call(hearth::node& from, const std::string& address,
                                                    std::string text,
                                                    std::chrono::milliseconds timeout = 2000ms) {
    return run_on(
        from, 0,
        [address, text, timeout]() -> awaitable<result<hearth::testing::echo_resp>> {
            hearth::testing::echo_req req{text, 7};
            co_return co_await hearth::call(hearth::testing::echo_m, address, req, timeout);
        },
        timeout + 5000ms);
}

}  // namespace hearth::cluster::testing

#include "cluster/cluster.hpp"

#include <algorithm>
#include <functional>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "cluster/agent.hpp"
#include "cluster/detail/link_io.hpp"
#include "cluster/detail/peer_record.hpp"
#include "cluster/sender.hpp"
#include "framework/metrics.hpp"

namespace hearth::cluster {

using detail::tcp;

std::string_view to_string(link_state s) noexcept {
    switch (s) {
        case link_state::idle:
            return "idle";
        case link_state::connecting:
            return "connecting";
        case link_state::handshaking:
            return "handshaking";
        case link_state::up:
            return "up";
        case link_state::tearing_down:
            return "tearing_down";
        case link_state::backing_off:
            return "backing_off";
        case link_state::stopped:
            return "stopped";
    }
    return "unknown";
}

/// The listening socket; lives on worker 0 and is touched only there after listen().
struct listener_state {
    explicit listener_state(asio::any_io_executor ex) : acceptor(ex) {}
    tcp::acceptor acceptor;
    bool closed = false;
};

std::shared_ptr<cluster> cluster::create(node& n, cluster_options options) {
    return std::make_shared<cluster>(private_tag{}, n, std::move(options));
}

outcome<std::shared_ptr<cluster>> join(node& n, cluster_config config, cluster_options options) {
    auto self_address = config.address_of(n.name());
    if (!self_address)
        return failure{errc::bad_config,
                       "Node '" + n.name() + "' has no address in cluster '" + config.cluster + "'."};
    auto c = cluster::create(n, std::move(options));
    if (auto p = c->listen(*self_address); !p) return std::move(p).error();
    if (auto s = c->start(std::move(config)); !s) {
        c->close();
        return std::move(s).error();
    }
    return c;
}

cluster::cluster(private_tag, node& n, cluster_options options)
    : node_(n),
      options_(std::move(options)),
      log_(n.make_logger("cluster")),
      tls_log_(options_.log_interval),
      shutdown_wakeup_(n.worker_at(0).executor()) {
    auto& m = n.metrics();
    misaddressed_ = &m.counter("hearth_cluster_misaddressed_frames_total",
                               "Frames addressed to another node or an old incarnation, dropped.");
    handshake_failures_ =
        &m.counter("hearth_cluster_handshake_failures_total", "Link handshakes that failed.");
    reloads_ = &m.counter("hearth_cluster_reloads_total", "Configuration reloads applied.");
}

cluster::~cluster() {
    if (collector_id_) node_.metrics().remove_collector(collector_id_);
}

outcome<std::uint16_t> cluster::listen(const endpoint& ep) {
    boost::system::error_code ec;
    std::vector<tcp::endpoint> candidates;
    auto addr = asio::ip::make_address(ep.host, ec);
    if (!ec) {
        candidates.emplace_back(addr, ep.port);
    } else {
        // A node named by a host name listens on the first address that name resolves to
        // which binds (the peers dial every resolved address in turn, so one is enough).
        if (options_.resolve) {
            for (const auto& text : options_.resolve(ep.host)) {
                auto a = asio::ip::make_address(text, ec);
                if (!ec) candidates.emplace_back(a, ep.port);
            }
            ec.clear();
        } else {
            asio::io_context io;
            tcp::resolver resolver(io);
            auto results = resolver.resolve(ep.host, std::to_string(ep.port), ec);
            if (!ec)
                for (const auto& r : results) candidates.push_back(r.endpoint());
        }
        if (ec || candidates.empty())
            return failure{errc::bad_config, "Cannot listen on '" + ep.to_string() +
                                                 "': the name does not resolve (" +
                                                 (ec ? ec.message() : std::string("no address")) + ")."};
    }
    std::string failures;
    for (const auto& where : candidates) {
        auto l = std::make_shared<listener_state>(node_.worker_at(0).executor());
        ec.clear();
        l->acceptor.open(where.protocol(), ec);
        if (!ec) l->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) l->acceptor.bind(where, ec);
        if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            if (!failures.empty()) failures += "; ";
            failures += where.address().to_string() + ": " + ec.message();
            continue;
        }
        port_ = l->acceptor.local_endpoint().port();
        if (candidates.size() > 1 || where.address().to_string() != ep.host)
            log_->info("listening on {} ({}:{})", ep.to_string(), where.address().to_string(), port_.load());
        listener_ = std::move(l);
        return port_.load();
    }
    return failure{ec, "Cannot listen on " + ep.to_string() + ": " + failures + "."};
}

outcome<void> cluster::start(cluster_config config) {
    if (started_.exchange(true)) return failure{errc::bad_config, "The cluster was already started."};
    if (!config.contains(node_.name()))
        return failure{
            errc::bad_config,
            "Node '" + node_.name() + "' is not in the configuration of cluster '" + config.cluster + "'."};
    auto tls = load_tls(config.tls);
    if (!tls) return std::move(tls).error();
    codec_ = config.codec;
    {
        std::lock_guard lock(config_mutex_);
        config_ = std::make_shared<const cluster_config>(config);
        tls_ = std::move(*tls);
    }
    if (tls_)
        log_->info("cluster links use TLS: this node presents {} (SHA-256 {}), valid until {}",
                   tls_->server->subject(), tls_->server->fingerprint_sha256(), tls_->server->not_after());
    {
        std::unique_lock lock(senders_mutex_);
        for (auto& [name, address] : config.nodes) {
            if (name == node_.name()) continue;
            senders_.emplace(name, make_sender(name, address));
        }
        for (auto& [name, s] : senders_) s->start();
    }
    collector_id_ = node_.metrics().add_collector([weak = weak_from_this()](metrics_writer& w) {
        auto self = weak.lock();
        if (!self) return;
        w.family("hearth_cluster_link_up", "1 when the sender's link to the peer is up.", metric_type::gauge);
        std::shared_lock lock(self->senders_mutex_);
        for (auto& [name, s] : self->senders_) {
            auto st = s->stats();
            w.sample("hearth_cluster_link_up", {{"peer", name}}, st.state == link_state::up ? 1 : 0);
        }
        w.family("hearth_cluster_link_state",
                 "Sender state: 0 idle, 1 connecting, 2 handshaking, 3 up, 4 tearing down, 5 backing off, 6 "
                 "stopped.",
                 metric_type::gauge);
        for (auto& [name, s] : self->senders_)
            w.sample("hearth_cluster_link_state", {{"peer", name}}, static_cast<double>(s->stats().state));
        w.family("hearth_cluster_queue_depth", "Messages queued for a peer and not yet written.",
                 metric_type::gauge);
        for (auto& [name, s] : self->senders_)
            w.sample("hearth_cluster_queue_depth", {{"peer", name}}, static_cast<double>(s->stats().queued));
        w.family("hearth_cluster_in_flight", "Calls written to a peer and not yet answered.",
                 metric_type::gauge);
        for (auto& [name, s] : self->senders_)
            w.sample("hearth_cluster_in_flight", {{"peer", name}}, static_cast<double>(s->stats().in_flight));
    });
    start_accepting();
    node_.set_transport(shared_from_this());

    std::weak_ptr<cluster> weak = weak_from_this();
    shutdown_step leave_step;
    leave_step.name = "cluster: announce leave";
    leave_step.phase = shutdown_phase::announce_leave;
    leave_step.deadline = std::chrono::milliseconds(1000);
    leave_step.worker = 0;  // where shutdown_wakeup_ wakes it
    leave_step.run = [weak]() -> awaitable<void> {
        auto self = weak.lock();
        if (!self) co_return;
        self->announce_leave();
        std::function<bool()> done = [self] {
            std::shared_lock lock(self->senders_mutex_);
            for (auto& [name, s] : self->senders_)
                if (!s->leave_written()) return false;
            std::lock_guard alock(self->agents_mutex_);
            for (auto& [p, a] : self->agents_)
                if (!a->leave_written()) return false;
            return true;
        };
        co_await self->wait_for(std::chrono::milliseconds(800), std::move(done));
    };
    node_.add_shutdown_step(std::move(leave_step));

    shutdown_step drain_step;
    drain_step.name = "cluster: drain senders";
    drain_step.phase = shutdown_phase::drain_senders;
    drain_step.deadline = std::chrono::milliseconds(2000);
    drain_step.worker = 0;  // where shutdown_wakeup_ wakes it
    drain_step.run = [weak]() -> awaitable<void> {
        auto self = weak.lock();
        if (!self) co_return;
        std::function<bool()> done = [self] {
            return self->drained();
        };
        co_await self->wait_for(std::chrono::milliseconds(1500), std::move(done));
        self->close();
    };
    node_.add_shutdown_step(std::move(drain_step));
    return {};
}

// The leave and drain steps run on worker 0 (their shutdown_step::worker), where
// shutdown_wakeup_ wakes them; the step's own deadline cancels the wait as well.
awaitable<void> cluster::wait_for(std::chrono::milliseconds limit, std::function<bool()> done) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer until(ex, limit);
    // Past `limit` the condition counts as met: the timer's expiry wakes the wait too.
    auto expired = std::make_shared<bool>(false);
    until.async_wait([expired, w = shutdown_wakeup_](boost::system::error_code ec) {
        if (ec) return;
        *expired = true;
        w.notify();
    });
    std::function<bool()> ready = [&] {
        return *expired || done();
    };  // named: GCC 12 (DESIGN.md 8)
    co_await shutdown_wakeup_.until(std::move(ready));
    until.cancel();
}

void cluster::shutdown_progress() noexcept {
    // Pairs with the fence in announce_leave(): either this sees stopping_, or the step's first
    // check of its condition sees the change made before this call.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!stopping_.load(std::memory_order_relaxed)) return;
    try {
        shutdown_wakeup_.notify();
    } catch (...) {
        // Out of memory for one post: the step's deadline still bounds its wait.
    }
}

std::shared_ptr<sender> cluster::make_sender(const std::string& name, std::optional<endpoint> address) {
    const auto owner = membership_.add(name);
    // The same worker for every sender of one peer name, and the peer's record (called with
    // senders_mutex_ held).
    const auto worker = static_cast<unsigned>(std::hash<std::string>{}(name) % node_.worker_count());
    auto& record = peers_[name];
    if (!record) record = std::make_shared<detail::peer_record>(options_.log_interval);
    return std::make_shared<sender>(*this, name, std::move(address), owner, worker, record);
}

void cluster::start_accepting() {
    if (!listener_) return;
    auto l = listener_;
    std::weak_ptr<cluster> weak = weak_from_this();
    auto loop = [l, weak]() -> awaitable<void> {
        for (;;) {
            auto self = weak.lock();
            if (!self || l->closed) co_return;
            const unsigned w = self->next_agent_worker();
            auto ex = self->node_.worker_at(w).executor();
            self.reset();
            auto [ec, socket] = co_await l->acceptor.async_accept(ex, asio::as_tuple(asio::use_awaitable));
            if (l->closed) co_return;
            self = weak.lock();
            if (!self) co_return;
            if (ec) {
                if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) co_return;
                self->log_->warn("accept failed: {}", ec.message());
                // Out of descriptors and the like: give the node a moment instead of spinning.
                asio::steady_timer t(l->acceptor.get_executor());
                t.expires_after(std::chrono::milliseconds(50));
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                continue;
            }
            if (self->stopping()) {
                detail::shutdown_and_close(socket);
                continue;
            }
            auto a = std::make_shared<agent>(*self, std::move(socket));
            {
                std::lock_guard lock(self->agents_mutex_);
                self->agents_.emplace(a.get(), a);
            }
            a->start();
        }
    };
    node_.spawn(0, std::move(loop), "cluster accept loop");
}

unsigned cluster::next_agent_worker() noexcept {
    return next_agent_worker_.fetch_add(1, std::memory_order_relaxed) % node_.worker_count();
}

bool cluster::agent_up(const std::shared_ptr<agent>& a, const std::string& peer) {
    std::shared_ptr<agent> old;
    {
        std::lock_guard lock(agents_mutex_);
        // reload() publishes the new configuration before it closes the removed nodes' agents
        // under this lock: either it sees this agent below, or this check sees the removal.
        if (!config_snapshot()->contains(peer)) return false;
        auto& slot = agent_by_peer_[peer];
        old = slot.lock();
        slot = a;
    }
    // A peer that reconnected (restart, or our side missed its failure): its new link replaces
    // the old one, which can only be stale now.
    if (old && old != a) old->close("replaced by a newer link from the same node");
    return true;
}

void cluster::agent_gone(agent* a) {
    std::lock_guard lock(agents_mutex_);
    agents_.erase(a);
}

std::size_t cluster::agent_count() const {
    std::lock_guard lock(agents_mutex_);
    return agents_.size();
}

void cluster::peer_leaving(const std::string& peer) {
    // The peer's own sender to us said it leaves; our sender to it learns the same from the
    // leave frame on its own link. Nothing else to do here but log.
    log_->debug("node '{}' announced leave on its link to us", peer);
}

void cluster::count_misaddressed() noexcept {
    misaddressed_->add();
}

std::shared_ptr<const cluster::link_tls> cluster::tls() const {
    std::lock_guard lock(config_mutex_);
    return tls_;
}

outcome<std::shared_ptr<const cluster::link_tls>> cluster::load_tls(const tls_options& o) const {
    if (!o.enabled()) return std::shared_ptr<const link_tls>();
    // "{node}" in the file names stands for this node's name: one cluster file for every node.
    const auto for_this_node = [&](std::string path) {
        for (auto at = path.find("{node}"); at != std::string::npos; at = path.find("{node}", at))
            path.replace(at, 6, node_.name());
        return path;
    };
    tls_options mine = o;
    mine.certificate_chain_file = for_this_node(o.certificate_chain_file);
    mine.private_key_file = for_this_node(o.private_key_file);
    try {
        auto t = std::make_shared<link_tls>();
        t->server = std::make_shared<const tls_context>(mine, tls_context::role::server);
        t->client = std::make_shared<const tls_context>(mine, tls_context::role::client);
        return std::shared_ptr<const link_tls>(std::move(t));
    } catch (const std::exception& e) {
        return failure{errc::bad_config, "Cluster TLS of node '" + node_.name() + "': " + e.what()};
    }
}

void cluster::count_tls_failure(const boost::system::error_code& ec, std::string_view who) {
    const auto reason = tls_error_reason(ec);
    node_.metrics()
        .counter("hearth_cluster_tls_errors_total", "TLS handshakes of cluster links that failed, by reason.",
                 {{"reason", std::string(reason)}})
        .add();
    count_handshake_failure(errc::handshake_failed);
    std::lock_guard lock(tls_log_mutex_);
    if (tls_log_.allow())
        log_->warn("TLS handshake with {} failed ({}): {}{}", who, reason, ec.message(),
                   tls_log_.suppressed()
                       ? " (" + std::to_string(tls_log_.suppressed()) + " more since the last line)"
                       : std::string());
}

void cluster::count_handshake_failure(errc why) {
    handshake_failures_->add();
    node_.metrics()
        .counter("hearth_cluster_handshake_failures_by_reason_total",
                 "Link handshakes that failed, by reason.", {{"reason", std::string(to_string(why))}})
        .add();
}

std::uint64_t cluster::misaddressed_frames() const noexcept {
    return misaddressed_->value();
}
std::uint64_t cluster::handshake_failures() const noexcept {
    return handshake_failures_->value();
}
std::uint64_t cluster::reload_count() const noexcept {
    return reloads_->value();
}

cluster_config cluster::config() const {
    return *config_snapshot();
}

std::shared_ptr<const cluster_config> cluster::config_snapshot() const {
    std::lock_guard lock(config_mutex_);
    return config_;
}

std::optional<peer_stats> cluster::stats(std::string_view peer) const {
    std::shared_lock lock(senders_mutex_);
    auto it = senders_.find(std::string(peer));
    if (it == senders_.end()) return std::nullopt;
    auto s = it->second->stats();
    s.membership = membership_.state(peer);
    return s;
}

std::optional<rpc::error> cluster::send(const outbound_message& m) {
    if (stopping_.load(std::memory_order_relaxed))
        return rpc::error{rpc::errc::unreachable, "This node is leaving the cluster."};
    std::shared_lock lock(senders_mutex_);
    auto it = senders_.find(m.node);
    if (it == senders_.end())
        return rpc::error{rpc::errc::unreachable,
                          "Node '" + std::string(m.node) + "' is not in this node's cluster."};
    return it->second->enqueue(m);
}

std::vector<std::string> cluster::nodes_hosting(std::string_view service) const {
    return membership_.nodes_hosting(service);
}

outcome<config_diff> cluster::reload(std::string_view json_text, bool dry_run) {
    auto parsed = parse_config(json_text);
    if (!parsed) {
        log_->warn("reload rejected: {}", parsed.error().message);
        return std::move(parsed).error();
    }
    return reload(*parsed, dry_run);
}

namespace {

// The reject that closes the inbound links of a reload which changed what a handshake proves
// (the secret, the cluster name, the codec): the code of the most fundamental change, a
// sentence naming every change (never the secret itself).
std::pair<errc, std::string> relink_reject(const config_diff& d, const std::string& self) {
    std::string what;
    auto add = [&](bool changed, std::string_view name) {
        if (!changed) return;
        if (!what.empty()) what += ", ";
        what += name;
    };
    add(d.secret_changed, "secret");
    add(d.cluster_changed, "name");
    add(d.codec_changed, "codec");
    const errc code = d.secret_changed    ? errc::bad_signature
                      : d.cluster_changed ? errc::wrong_cluster
                                          : errc::codec_mismatch;
    return {code, "The cluster " + what + " of node '" + self +
                      "' changed; links made under the old configuration are closed."};
}

}  // namespace

outcome<config_diff> cluster::reload(const cluster_config& next, bool dry_run) {
    std::lock_guard serial(reload_mutex_);
    if (!started_.load()) return failure{errc::bad_config, "The cluster has not been started."};
    if (!next.contains(node_.name()))
        return failure{errc::bad_config, "Invalid cluster configuration: this node '" + node_.name() +
                                             "' is not in it; the running configuration stays."};
    auto current = config_snapshot();
    auto d = diff(*current, next);
    if (dry_run) return d;
    // The certificate files are read again on every reload, changed configuration or not: a
    // renewed certificate under the same file name is picked up by new links (links already up
    // keep theirs). A file that does not load fails the reload and changes nothing.
    auto tls = load_tls(next.tls);
    if (!tls) return failure{errc::bad_config, tls.error().message + " The running configuration stays."};
    if (*tls) {
        std::lock_guard lock(config_mutex_);
        const bool renewed =
            !tls_ || tls_->server->fingerprint_sha256() != (*tls)->server->fingerprint_sha256();
        tls_ = *tls;
        if (renewed)
            log_->info("reload: cluster links now present {} (SHA-256 {}), valid until {}",
                       tls_->server->subject(), tls_->server->fingerprint_sha256(),
                       tls_->server->not_after());
    }
    if (d.empty()) return d;

    {
        std::lock_guard lock(config_mutex_);
        config_ = std::make_shared<const cluster_config>(next);
        tls_ = std::move(*tls);
    }
    codec_ = next.codec;
    std::vector<std::shared_ptr<sender>> gone, fresh;
    {
        std::unique_lock lock(senders_mutex_);
        for (auto& e : d.removed) {
            auto it = senders_.find(e.name);
            if (it == senders_.end()) continue;
            gone.push_back(it->second);
            senders_.erase(it);
        }
        for (auto& e : d.added) {
            if (e.name == node_.name()) continue;
            auto s = make_sender(e.name, e.address);
            senders_[e.name] = s;
            fresh.push_back(s);
        }
        for (auto& c : d.changed) {
            if (c.name == node_.name()) {
                log_->warn("reload: this node's own address changed to {}; the listener moves on restart",
                           c.to ? c.to->to_string() : std::string("null"));
                continue;
            }
            auto it = senders_.find(c.name);
            if (it != senders_.end()) it->second->change_address(c.to);
        }
        if (d.relink_all())
            for (auto& [name, s] : senders_) s->relink();
    }
    for (auto& s : gone) {
        s->remove();
        membership_.remove(s->peer());
    }
    for (auto& c : d.changed)
        if (c.name != node_.name()) membership_.address_changed(c.name, c.from, c.to);
    for (auto& s : fresh) s->start();
    {
        // A removed node loses its inbound links too, with the reason, so it sees the removal
        // (its handshakes are refused from now on: the new configuration does not know it).
        std::lock_guard lock(agents_mutex_);
        std::vector<agent*> refused;
        for (auto& e : d.removed) {
            auto it = agent_by_peer_.find(e.name);
            if (it == agent_by_peer_.end()) continue;
            if (auto a = it->second.lock()) {
                a->reject(errc::unknown_node, "Node '" + e.name +
                                                  "' was removed from the configuration of node '" +
                                                  node_.name() + "'.");
                refused.push_back(a.get());
            }
            agent_by_peer_.erase(it);
        }
        // A changed secret (or cluster name, or codec) ends every inbound link made under the
        // old one, with a reject that says so: the peer sees why its link went down, and its
        // next handshake is checked against the new configuration.
        if (d.relink_all()) {
            const auto [code, text] = relink_reject(d, node_.name());
            for (auto& [p, a] : agents_)
                if (std::find(refused.begin(), refused.end(), p) == refused.end()) a->reject(code, text);
        }
    }
    reloads_->add();
    log_->info("reload applied: {}", d.to_json().dump());
    return d;
}

void cluster::announce_leave() {
    stopping_.store(true);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // see shutdown_progress()
    {
        std::shared_lock lock(senders_mutex_);
        for (auto& [name, s] : senders_) s->leave();
    }
    std::lock_guard lock(agents_mutex_);
    for (auto& [p, a] : agents_) a->leave();
}

bool cluster::drained() const {
    std::shared_lock lock(senders_mutex_);
    for (auto& [name, s] : senders_)
        if (!s->drained()) return false;
    return true;
}

void cluster::close() {
    if (closed_.exchange(true)) return;
    stopping_.store(true);
    if (auto l = listener_; l && !node_.running()) {
        // No worker runs: nothing else can touch the acceptor.
        l->closed = true;
        boost::system::error_code ec;
        l->acceptor.close(ec);
    } else if (l) {
        asio::post(l->acceptor.get_executor(), [l] {
            l->closed = true;
            boost::system::error_code ec;
            l->acceptor.close(ec);
        });
    }
    {
        std::shared_lock lock(senders_mutex_);
        for (auto& [name, s] : senders_) s->stop();
    }
    std::lock_guard lock(agents_mutex_);
    for (auto& [p, a] : agents_) a->close("this node is stopping");
}

}  // namespace hearth::cluster

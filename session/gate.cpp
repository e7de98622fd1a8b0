#include "session/gate.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>

#include "framework/address.hpp"
#include "framework/fd_limit.hpp"
#include "framework/log.hpp"
#include "framework/node.hpp"
#include "framework/raw_call.hpp"
#include "framework/timer.hpp"
#include "framework/worker.hpp"
#include "session/detail/address_lease.hpp"
#include "session/detail/address_limits.hpp"
#include "session/detail/connection.hpp"
#include "session/detail/listener.hpp"
#include "session/message.hpp"

namespace hearth::session {
namespace {
// tls_context's sentence, raised while the gate starts (on_start tells it from a bind failure).
struct tls_start_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
}  // namespace

gate::gate(gate_options options) : options_(std::move(options)) {
    handle(gate_method::push, &gate::on_push);
    handle(gate_method::kick, &gate::on_kick);
    handle(gate_method::bind, &gate::on_bind);
    handle(gate_method::set, &gate::on_set);
    handle(gate_method::get, &gate::on_get);
    handle(gate_method::broadcast, &gate::on_broadcast);
    handle(gate_method::reply, &gate::on_reply);
}

// The per-address limits' state, on the home worker.
struct gate::per_address {
    per_address(detail::address_limits_config c, asio::io_context& home)
        : table(std::move(c)), sweep_timer(std::in_place, home) {}
    detail::address_limits table;
    // Removes entries whose bucket is full again. Destroyed by on_stop: the workers' io_contexts
    // are destroyed before the services.
    std::optional<asio::steady_timer> sweep_timer;
    bool sweep_armed = false;
    log_throttle refusals{std::chrono::seconds(5)};  // one line per 5 s, however many refusals
};

gate::~gate() = default;

// ---- listening -----------------------------------------------------------------------------------

awaitable<void> gate::on_start() {
    auto& m = node().metrics();
    const metric_labels labels{{"gate", name()}};
    const auto refused = [&](const char* reason) -> hearth::counter& {
        return m.counter("hearth_gate_rejected_total",
                         "Client connections refused and closed at once, by reason (max_connections, "
                         "per_address_connections, per_address_rate).",
                         metric_labels{{"gate", name()}, {"reason", reason}});
    };
    counters_.reset(new counters{
        m.gauge("hearth_gate_sessions", "Client sessions connected to the gate.", labels),
        m.counter("hearth_gate_accepted_total", "Client connections accepted.", labels),
        refused("max_connections"),
        refused("per_address_connections"),
        refused("per_address_rate"),
        m.gauge("hearth_gate_tracked_addresses",
                "Client addresses in the gate's per-address table (open connections or a refilling bucket).",
                labels),
        m.counter("hearth_gate_bytes_in_total", "Bytes received from clients.", labels),
        m.counter("hearth_gate_bytes_out_total", "Bytes written to clients.", labels),
        m.counter("hearth_gate_packets_in_total", "Packets received from clients.", labels),
        m.counter("hearth_gate_packets_out_total", "Packets written to clients.", labels),
        m.counter("hearth_gate_protocol_errors_total", "Clients closed for breaking the protocol.", labels),
        m.counter("hearth_gate_slow_clients_kicked_total",
                  "Clients closed because their write queue was full.", labels),
        m.counter("hearth_gate_rate_limited_total", "Client requests refused by the rate limit.", labels),
        m.counter("hearth_gate_requests_total", "Client requests forwarded.", labels),
        m.counter("hearth_gate_request_errors_total", "Client requests answered with an error.", labels),
        m.counter("hearth_gate_kicked_total", "Sessions kicked with a reason.", labels),
        m.counter("hearth_gate_tls_handshakes_total", "TLS handshakes completed on the tls and wss ports.",
                  labels),
        m.gauge("hearth_gate_parked_sessions",
                "Sessions parked after losing their connection, waiting for a resume.", labels),
        m.counter("hearth_gate_resumes_total", "Parked or half-open sessions resumed by their client.",
                  labels),
        m.counter("hearth_gate_replayed_packets_total",
                  "Responses and pushes written again after a resume (the client had missed them).", labels),
        m.counter("hearth_gate_parked_expired_total",
                  "Parked sessions closed because no resume came within the grace period.", labels),
        m.counter("hearth_gate_resume_overflow_total",
                  "Parked sessions closed because their replay buffer would overflow.", labels),
        m.gauge("hearth_gate_resume_buffer_bytes", "Bytes held in the sessions' replay buffers.", labels),
        {},
        {},
    });
    for (const char* reason : {"malformed", "unknown", "bad_token", "too_old", "ahead"})
        counters_->resume_refused.emplace_back(
            reason, &m.counter("hearth_gate_resume_refused_total",
                               "Resume attempts answered with a new session, by reason.",
                               metric_labels{{"gate", name()}, {"reason", reason}}));
    for (const char* reason : {"protocol_version", "no_certificate", "bad_certificate", "not_tls",
                               "no_shared_cipher", "eof", "timeout", "other"})
        counters_->tls_errors.emplace_back(
            reason, &m.counter("hearth_gate_tls_errors_total",
                               "TLS handshakes on the tls and wss ports that failed, by reason.",
                               metric_labels{{"gate", name()}, {"reason", reason}}));
    for (unsigned i = 0; i < node().worker_count(); ++i) shards_.push_back(std::make_unique<shard>());
    ready_.store(true, std::memory_order_release);

    std::string error;
    try {
        if (auto limits = detail::address_limits_config::from(options_, error); !limits)
            throw std::invalid_argument(error);
        else if (limits->enabled())
            per_address_ = std::make_unique<per_address>(std::move(*limits), home().context());
        if (options_.tls_port >= 0 || options_.wss_port >= 0) {
            if (!options_.tls.enabled())
                throw std::invalid_argument(
                    "tls_port and wss_port need the tls options (certificate and key)");
            try {
                tls_.load(options_.tls, tls_context::role::server);
            } catch (const std::runtime_error& e) {
                throw tls_start_error(e.what());
            }
        }
        if (options_.tcp_port >= 0) {
            tcp_listener_ = std::make_shared<detail::listener>(*this, detail::transport_kind::tcp);
            tcp_port_ = tcp_listener_->open(options_.host, options_.tcp_port);
        }
        if (options_.ws_port >= 0) {
            ws_listener_ = std::make_shared<detail::listener>(*this, detail::transport_kind::ws);
            ws_port_ = ws_listener_->open(options_.host, options_.ws_port);
        }
        if (options_.tls_port >= 0) {
            tls_listener_ = std::make_shared<detail::listener>(*this, detail::transport_kind::tls);
            tls_port_ = tls_listener_->open(options_.host, options_.tls_port);
        }
        if (options_.wss_port >= 0) {
            wss_listener_ = std::make_shared<detail::listener>(*this, detail::transport_kind::wss);
            wss_port_ = wss_listener_->open(options_.host, options_.wss_port);
        }
        for (auto* l : {&tcp_listener_, &ws_listener_, &tls_listener_, &wss_listener_})
            if (*l) (*l)->start();
    } catch (const tls_start_error& e) {
        // A certificate problem is not a listening problem: say which file, not which port.
        error = "gate '" + name() + "' cannot start: " + e.what();
        log().error("{}", error);
        stop_listeners();
    } catch (const std::exception& e) {
        error = "gate '" + name() + "' cannot listen on " + options_.host + ": " + e.what();
        log().error("{}", error);
        stop_listeners();
    }
    if (error.empty()) {
        // Each connection is a descriptor; the node raised the soft limit to the hard one at
        // start. Said once, here, rather than as accept errors under load.
        constexpr std::uint64_t reserve = 64;  // listeners, cluster links, logs, admin
        if (const auto files = open_file_limit(); files && options_.max_connections + reserve > files)
            log().warn(
                "gate '{}': max_connections is {} but the open-file limit is {}: at most about {} clients "
                "can be connected at once (raise the hard limit: ulimit -Hn, LimitNOFILE= in a systemd unit)",
                name(), options_.max_connections, files, files > reserve ? files - reserve : 0);
        if (tcp_port_) log().info("gate '{}' listening on {}", name(), tcp_url());
        if (ws_port_) log().info("gate '{}' listening on {} and {}", name(), ws_url(), http_url());
        if (tls_port_) log().info("gate '{}' listening on {}", name(), tls_url());
        if (wss_port_) log().info("gate '{}' listening on {} and {}", name(), wss_url(), https_url());
        if (auto t = tls())
            log().info("gate '{}' presents certificate {} (SHA-256 {}), valid until {}", name(), t->subject(),
                       t->fingerprint_sha256(), t->not_after());
    }

    shutdown_step stop_step;
    stop_step.name = "gate '" + name() + "': stop accepting clients";
    stop_step.phase = shutdown_phase::stop_accepting;
    stop_step.worker = home().index();
    stop_step.run = [this]() {
        return stop_accepting();
    };
    node().add_shutdown_step(std::move(stop_step));
    shutdown_step kick_step;
    kick_step.name = "gate '" + name() + "': kick clients";
    kick_step.phase = shutdown_phase::kick_clients;
    kick_step.worker = home().index();
    kick_step.deadline = options_.kick_flush_timeout + std::chrono::milliseconds(500);
    kick_step.run = [this]() {
        return kick_all("server shutting down");
    };
    node().add_shutdown_step(std::move(kick_step));

    {
        std::lock_guard lock(listen_mutex_);
        listen_done_ = true;
        listen_error_ = std::move(error);
    }
    listen_cv_.notify_all();
    co_return;
}

awaitable<void> gate::stop_accepting() {
    stop_listeners();
    co_return;
}

awaitable<void> gate::kick_all(std::string reason) {
    co_await stop_accepting();
    // A session that opens after the kicks below ran on its worker (a WebSocket upgrade that
    // was in flight) is kicked by on_session_opened; a connection of the WebSocket port that
    // has not upgraded is ended, so neither holds the drain up to the step's deadline.
    if (!draining_.load(std::memory_order_acquire)) {
        drain_reason_ = reason;
        draining_.store(true, std::memory_order_release);
    }
    for (unsigned i = 0; i < node().worker_count(); ++i) {
        node().worker_at(i).post_function([this, reason](worker& w) {
            auto& sh = shard_at(w.index());
            for (auto* t : sh.http_deadlines) t->cancel();
            auto copy = sh.sessions;  // kick() may close and erase
            for (auto& [id, c] : copy) c->kick(reason, detail::ws_close::going_away);
        });
    }
    // Wait for the last connection to go: the step's deadline bounds this (cancelling the
    // wait), and kicks close within kick_flush_timeout each.
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer woken(ex, asio::steady_timer::time_point::max());
    // Registered for connection_gone() while this frame exists, however it ends.
    struct registration {
        gate& g;
        registration(gate& owner, asio::steady_timer& t) : g(owner) {
            std::lock_guard lock(g.drain_mutex_);
            g.drain_timer_ = &t;
        }
        ~registration() {
            std::lock_guard lock(g.drain_mutex_);
            g.drain_timer_ = nullptr;
        }
    };
    registration registered(*this, woken);
    while (connections_.load(std::memory_order_acquire) > 0) {
        auto [ec] = co_await woken.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec && connections_.load(std::memory_order_acquire) > 0) {
            // Cancelled by the step's deadline rather than by the last connection going?
            auto state = co_await asio::this_coro::cancellation_state;
            if (state.cancelled() != asio::cancellation_type::none) break;
        }
        woken.expires_at(asio::steady_timer::time_point::max());
    }
}

void gate::connection_gone() noexcept {
    if (connections_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::lock_guard lock(drain_mutex_);
    if (!drain_timer_) return;
    // Cancel on the waiter's own executor, checking it is still waiting by then.
    asio::post(drain_timer_->get_executor(), [this] {
        std::lock_guard lock(drain_mutex_);
        if (drain_timer_) drain_timer_->cancel();
    });
}

awaitable<void> gate::on_stop() {
    stop_listeners();
    if (per_address_) per_address_->sweep_timer.reset();  // a pending wait ends with operation_aborted
    for (unsigned i = 0; i < node().worker_count() && i < shards_.size(); ++i) {
        node().worker_at(i).post_function([this](worker& w) {
            auto copy = shard_at(w.index()).sessions;
            for (auto& [id, c] : copy) c->close("server stopped");
        });
    }
    co_return;
}

bool gate::wait_listening(std::chrono::milliseconds timeout) {
    std::unique_lock lock(listen_mutex_);
    if (!listen_cv_.wait_for(lock, timeout, [this] { return listen_done_; })) return false;
    return listen_error_.empty();
}

std::string gate::listen_error() const {
    std::lock_guard lock(listen_mutex_);
    return listen_error_;
}

std::string gate::tcp_url() const {
    if (!tcp_port()) return {};
    return "tcp://" + options_.host + ":" + std::to_string(tcp_port());
}
std::string gate::ws_url() const {
    if (!ws_port()) return {};
    return "ws://" + options_.host + ":" + std::to_string(ws_port()) + options_.ws_path;
}
std::string gate::http_url() const {
    if (!ws_port()) return {};
    return "http://" + options_.host + ":" + std::to_string(ws_port()) + "/";
}
std::string gate::tls_url() const {
    if (!tls_port()) return {};
    return "tls://" + options_.host + ":" + std::to_string(tls_port());
}
std::string gate::wss_url() const {
    if (!wss_port()) return {};
    return "wss://" + options_.host + ":" + std::to_string(wss_port()) + options_.ws_path;
}
std::string gate::https_url() const {
    if (!wss_port()) return {};
    return "https://" + options_.host + ":" + std::to_string(wss_port()) + "/";
}

void gate::stop_listeners() {
    for (auto* l : {&tcp_listener_, &ws_listener_, &tls_listener_, &wss_listener_})
        if (*l) (*l)->stop();
}

// ---- TLS ---------------------------------------------------------------------------------------

std::shared_ptr<const tls_context> gate::tls() const {
    return tls_.current();
}

rpc::outcome<std::string> gate::reload_tls() {
    if (options_.tls_port < 0 && options_.wss_port < 0)
        return rpc::failure{std::make_error_code(std::errc::operation_not_supported),
                            "Gate '" + name() + "' has no TLS port."};
    auto fingerprint = tls_.reload(options_.tls, tls_context::role::server);
    if (!fingerprint) {
        log().error("gate '{}': TLS reload failed, the previous certificate stays: {}", name(),
                    fingerprint.error().message);
        return fingerprint;
    }
    const auto now = tls_.current();
    log().info("gate '{}': TLS reloaded, now presenting {} (SHA-256 {}), valid until {}", name(),
               now->subject(), *fingerprint, now->not_after());
    return fingerprint;
}

void gate::on_tls_failed(unsigned worker_index, const boost::system::error_code& ec) {
    const std::string_view reason = tls_error_reason(ec);
    for (auto& [label, c] : counters_->tls_errors)
        if (label == reason) c->add();
    // Scanners and broken clients can fail thousands of handshakes: one line per 5 s per worker.
    auto& throttle = shard_at(worker_index).tls_errors;
    if (throttle.allow())
        log().warn("gate '{}': TLS handshake failed ({}): {}{}", name(), reason, ec.message(),
                   throttle.suppressed()
                       ? fmt::format(" ({} more since the last line)", throttle.suppressed())
                       : std::string());
}

// ---- sessions ------------------------------------------------------------------------------------

std::uint64_t gate::next_session_id(unsigned worker_index) {
    return (shard_at(worker_index).next_seq++ << 8) | (worker_index & 0xff);
}

bool gate::admit() {
    if (connections_.fetch_add(1, std::memory_order_relaxed) >= options_.max_connections) {
        connections_.fetch_sub(1, std::memory_order_relaxed);
        counters_->rejected.add();
        if (max_connections_refusals_.allow())
            log().warn(
                "gate '{}': refused a connection: {} connections open (max_connections); {} other "
                "connections refused for it since the last such line",
                name(), options_.max_connections, max_connections_refusals_.suppressed());
        return false;
    }
    counters_->accepted.add();
    return true;
}

bool gate::admit(const detail::address_key& peer, detail::address_lease& lease) {
    using verdict = detail::address_limits::verdict;
    if (!per_address_) return admit();
    auto& pa = *per_address_;
    const auto now = clock::now();
    const verdict v = pa.table.admit(peer, now);
    if (v == verdict::too_many || v == verdict::too_fast) {
        const bool count = v == verdict::too_many;
        (count ? counters_->rejected_per_address : counters_->rejected_per_address_rate).add();
        if (pa.refusals.allow(now)) {
            const auto& c = pa.table.config();
            if (count)
                log().warn(
                    "gate '{}': refused a connection from {}: {} open from that address "
                    "(max_connections_per_address); {} other connections refused per address since "
                    "the last such line",
                    name(), peer.to_string(), c.max_connections, pa.refusals.suppressed());
            else
                log().warn(
                    "gate '{}': refused a connection from {}: over {}/s (connection_rate_per_address, "
                    "burst {}); {} other connections refused per address since the last such line",
                    name(), peer.to_string(), c.rate, c.burst, pa.refusals.suppressed());
        }
        counters_->tracked_addresses.set(static_cast<double>(pa.table.size()));
        return false;
    }
    const bool admitted = admit();  // max_connections, after the address's own limits
    if (v == verdict::admitted) {
        if (admitted)
            lease = detail::address_lease(*this, peer);
        else
            pa.table.release(peer, now);
    }
    counters_->tracked_addresses.set(static_cast<double>(pa.table.size()));
    schedule_address_sweep();
    return admitted;
}

void gate::release_address(const detail::address_key& peer) noexcept {
    try {
        home().post_function([this, peer](worker&) {
            per_address_->table.release(peer, clock::now());
            counters_->tracked_addresses.set(static_cast<double>(per_address_->table.size()));
            schedule_address_sweep();
        });
    } catch (...) {
        // Out of memory: the address keeps one slot too many; nothing better to do here.
    }
}

void gate::schedule_address_sweep() {
    auto& pa = *per_address_;
    const auto when = pa.table.next_expiry();
    if (!when || pa.sweep_armed || !pa.sweep_timer) return;
    pa.sweep_armed = true;
    pa.sweep_timer->expires_at(*when);
    pa.sweep_timer->async_wait([this](boost::system::error_code ec) {
        if (ec) return;  // on_stop: the gate may be going away
        auto& p = *per_address_;
        p.sweep_armed = false;
        p.table.sweep(clock::now());
        counters_->tracked_addresses.set(static_cast<double>(p.table.size()));
        schedule_address_sweep();
    });
}

void gate::release_admission() {
    connection_gone();
}

void gate::track_http_deadline(unsigned worker_index, asio::steady_timer* deadline) {
    shard_at(worker_index).http_deadlines.insert(deadline);
}

void gate::untrack_http_deadline(unsigned worker_index, asio::steady_timer* deadline) {
    shard_at(worker_index).http_deadlines.erase(deadline);
}

void gate::on_session_opened(const std::shared_ptr<detail::connection>& c) {
    shard_at(c->home().index()).sessions.emplace(c->id(), c);
    counters_->sessions.add(1);
    if (draining()) {
        // Opened after the shutdown kicks ran on this worker: kick it too, once started (the
        // caller starts it right after this returns, on this worker).
        asio::post(c->home().executor(),
                   [c, reason = drain_reason_] { c->kick(reason, detail::ws_close::going_away); });
    }
    const std::uint64_t id = c->id();
    const unsigned w = c->home().index();
    const auto since = std::chrono::system_clock::now();
    home().post_function([this, id, w, since](worker&) {
        auto& r = records_[id];
        r.worker = w;
        r.since = since;
    });
}

awaitable<gate::session_page> gate::list_sessions(std::size_t offset, std::size_t limit) {
    // records_ belongs to the home worker: read it there and hand a copy back.
    auto read = [this, offset, limit]() -> awaitable<session_page> {
        std::vector<std::uint64_t> ids;
        ids.reserve(records_.size());
        for (const auto& [id, r] : records_) ids.push_back(id);
        std::sort(ids.begin(), ids.end());
        session_page page;
        page.total = ids.size();
        for (std::size_t i = offset; i < ids.size() && page.items.size() < limit; ++i) {
            const auto& r = records_.at(ids[i]);
            page.items.push_back(session_info{ids[i], r.uid, r.worker, r.since, r.parked_since});
        }
        co_return page;
    };
    co_return co_await asio::co_spawn(home().executor(), std::move(read), asio::use_awaitable);
}

awaitable<bool> gate::kick_session(std::uint64_t id, std::string reason) {
    auto kick = [this, id, reason = std::move(reason)]() mutable -> awaitable<bool> {
        if (!records_.contains(id)) co_return false;
        with_session(id, [reason = std::move(reason)](detail::connection& c) { c.kick(reason); });
        co_return true;
    };
    co_return co_await asio::co_spawn(home().executor(), std::move(kick), asio::use_awaitable);
}

void gate::on_session_parked(detail::connection& c) {
    counters_->parked.add(1);
    parked_.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t id = c.id();
    const auto since = std::chrono::system_clock::now();
    home().post_function([this, id, since](worker&) {
        auto it = records_.find(id);
        if (it == records_.end()) return;
        it->second.parked_since = since;
        it->second.parked_order = next_parked_order_++;
        parked_order_.emplace(it->second.parked_order, id);
        // Over the bound: the session parked longest goes (its client is the least likely back).
        while (parked_order_.size() > options_.resume.max_parked_sessions) {
            const std::uint64_t oldest = parked_order_.begin()->second;
            parked_order_.erase(parked_order_.begin());
            if (auto o = records_.find(oldest); o != records_.end()) o->second.parked_order = 0;
            with_session(oldest, [](detail::connection& p) {
                if (p.parked_since()) p.close("too many parked sessions");  // unless resumed meanwhile
            });
        }
    });
}

void gate::on_session_unparked(detail::connection& c) {
    counters_->parked.add(-1);
    parked_.fetch_sub(1, std::memory_order_relaxed);
    const std::uint64_t id = c.id();
    home().post_function([this, id](worker&) {
        auto it = records_.find(id);
        if (it == records_.end()) return;
        it->second.parked_since.reset();
        if (it->second.parked_order) parked_order_.erase(it->second.parked_order);
        it->second.parked_order = 0;
    });
}

void gate::on_relay_started(detail::connection& c) {
    const std::uint64_t id = c.id();
    counters_->sessions.add(-1);
    home().post_function([this, id](worker&) { records_.erase(id); });
    shard_at(c.home().index()).sessions.erase(id);  // run() keeps the connection alive
}

void gate::count_resume_refused(std::string_view reason) {
    for (auto& [label, counter] : counters_->resume_refused)
        if (label == reason) counter->add();
}

void gate::on_session_closed(detail::connection& c, std::string reason, std::vector<std::string> served,
                             bool was_parked) {
    const std::uint64_t id = c.id();
    counters_->sessions.add(-1);
    if (was_parked) {
        counters_->parked.add(-1);
        parked_.fetch_sub(1, std::memory_order_relaxed);
    }
    log().debug("session {} closed: {}", id, reason);
    home().post_function([this, id, reason = std::move(reason), served = std::move(served)](worker&) mutable {
        std::string uid;
        if (auto it = records_.find(id); it != records_.end()) {
            uid = std::move(it->second.uid);
            if (it->second.parked_order) parked_order_.erase(it->second.parked_order);
            records_.erase(it);
        }
        if (!uid.empty())
            if (auto u = uid_index_.find(uid); u != uid_index_.end() && u->second == id) uid_index_.erase(u);
        if (served.empty()) return;
        session_closed ev{node().name(), id, uid, reason};
        const std::string payload = rpc::encode(rpc::codec::json, ev);
        for (const auto& address : served) {
            auto r = notify_encoded(node(), address, closed.route, rpc::codec::json, payload);
            if (!r && r.code() != rpc::errc::not_found)
                log().debug("gate: close of session {} not told to {}: {}", id, address,
                            r.error().describe());
        }
    });
    // Last: this may destroy the connection.
    shard_at(c.home().index()).sessions.erase(id);
}

template <class F>
void gate::with_session(std::uint64_t session_id, F f) {
    const unsigned index = worker_of(session_id);
    if (!ready_.load(std::memory_order_acquire) || index >= node().worker_count()) return;
    // post_now: ahead of whatever this thread sends afterwards (e.g. the reply to a bind, or a
    // reply handed over by on_reply), whichever worker that goes through.
    node().worker_at(index).post_function_now([this, session_id, f = std::move(f)](worker& w) mutable {
        auto& sessions = shard_at(w.index()).sessions;
        if (auto it = sessions.find(session_id); it != sessions.end()) {
            auto keep = it->second;  // f may close the session
            f(*keep);
        }
    });
}

// ---- methods -------------------------------------------------------------------------------------

void gate::deliver_push(std::uint64_t session_id, std::string route, std::string payload) {
    with_session(session_id, [route = std::move(route), payload = std::move(payload)](detail::connection& c) {
        c.send_push(route, payload);
    });
}

void gate::deliver_kick(std::uint64_t session_id, std::string reason) {
    with_session(session_id, [reason = std::move(reason)](detail::connection& c) { c.kick(reason); });
}

void gate::deliver_set(std::uint64_t session_id, std::string key, nlohmann::json value) {
    auto apply = [this, session_id, key = std::move(key), value = std::move(value)](worker&) mutable {
        auto it = records_.find(session_id);
        if (it == records_.end()) return;
        if (value.is_null())
            it->second.data.erase(key);
        else
            it->second.data[key] = std::move(value);
    };
    if (home().in_this_thread())
        apply(home());
    else
        home().post_function_now(std::move(apply));
}

void gate::deliver_broadcast(std::string_view route, std::string_view payload,
                             const std::vector<std::uint64_t>& session_ids) {
    if (session_ids.empty() || !ready_.load(std::memory_order_acquire)) return;
    // One packet for every member of this gate, shared by their write queues.
    auto packet = std::make_shared<std::string>();
    if (auto ec = encode_push_packet(*packet, route, payload, options_.dictionary.get())) {
        log().warn("gate: broadcast '{}' not sent: {}", route, ec.message());
        return;
    }
    std::shared_ptr<const std::string> shared = std::move(packet);
    const unsigned workers = node().worker_count();
    std::vector<std::vector<std::uint64_t>> by_worker(workers);
    for (std::uint64_t id : session_ids)
        if (worker_of(id) < workers) by_worker[worker_of(id)].push_back(id);
    for (unsigned i = 0; i < workers; ++i) {
        if (by_worker[i].empty()) continue;
        node().worker_at(i).post_function_now([this, shared, ids = std::move(by_worker[i])](worker& w) {
            auto& sessions = shard_at(w.index()).sessions;
            for (std::uint64_t id : ids)
                if (auto it = sessions.find(id); it != sessions.end()) it->second->send_shared(shared);
        });
    }
}

awaitable<void> gate::on_push(push_request r) {
    deliver_push(r.session_id, std::move(r.route), std::move(r.payload));
    co_return;
}

awaitable<void> gate::on_kick(kick_request r) {
    deliver_kick(r.session_id, std::move(r.reason));
    co_return;
}

awaitable<result<bind_response>> gate::on_bind(bind_request r) {
    // The gate's home worker is the single authority for its uids: check-and-set without a
    // suspension point in between, so two binds of one uid cannot both win.
    auto it = records_.find(r.session_id);
    if (it == records_.end()) co_return rpc::error{rpc::errc::not_found, "The session is closed."};
    if (r.uid.empty()) co_return rpc::error{rpc::errc::bad_request, "A uid is not empty."};
    bind_response resp;
    auto u = uid_index_.find(r.uid);
    if (u != uid_index_.end() && u->second != r.session_id) {
        if (options_.duplicate_login == duplicate_login_policy::reject_new)
            co_return app_error("duplicate_login", "This user is already logged in.");
        const std::uint64_t old = u->second;
        if (auto o = records_.find(old); o != records_.end()) o->second.uid.clear();
        with_session(old, [](detail::connection& c) { c.kick("duplicate login"); });
        resp.kicked_session = old;
    }
    if (!it->second.uid.empty() && it->second.uid != r.uid) {
        if (auto p = uid_index_.find(it->second.uid); p != uid_index_.end() && p->second == r.session_id)
            uid_index_.erase(p);
    }
    it->second.uid = r.uid;
    uid_index_[r.uid] = r.session_id;
    with_session(r.session_id, [uid = r.uid](detail::connection& c) { c.set_uid(uid); });
    co_return resp;
}

awaitable<void> gate::on_set(set_request r) {
    deliver_set(r.session_id, std::move(r.key), std::move(r.value));  // on the home worker: applied now
    co_return;
}

awaitable<result<nlohmann::json>> gate::on_get(get_request r) {
    auto it = records_.find(r.session_id);
    if (it == records_.end()) co_return rpc::error{rpc::errc::not_found, "The session is closed."};
    auto d = it->second.data.find(r.key);
    if (d == it->second.data.end()) co_return nlohmann::json();
    co_return d->second;
}

awaitable<void> gate::on_broadcast(broadcast_request r) {
    if (!r.payload || !r.sessions) co_return;
    deliver_broadcast(r.route, *r.payload, *r.sessions);
}

awaitable<void> gate::on_reply(reply_request r) {
    // Everything the handler's node sent before this reply went through this worker already
    // (same link, same service, in order) and is queued on the session's worker with
    // post_now; the reply follows it there (transport_host::deliver_reply posts from this thread).
    if (r.reply_worker >= node().worker_count()) co_return;
    remote_outcome out;
    out.codec = rpc::codec::json;
    if (r.ok) {
        out.payload = r.response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
        // The code travelled as a number: one this node does not know is a handler failure.
        const auto code = rpc::errc_from_int(r.code).value_or(rpc::errc::handler_failed);
        out.error = rpc::error{code, std::move(r.message), std::move(r.app_code)};
    }
    transport_host(node()).deliver_reply(reply_address{r.reply_worker, r.call_id}, std::move(out));
    co_return;
}

}  // namespace hearth::session

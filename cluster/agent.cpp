#include "cluster/agent.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "cluster/detail/link_impl.hpp"
#include "cluster/detail/link_io.hpp"
#include "cluster/handshake.hpp"
#include "framework/metrics.hpp"

namespace hearth::cluster {

using detail::tcp;

namespace {

detail::link_counters agent_counters(node& n) {
    auto& m = n.metrics();
    return {&m.counter("hearth_cluster_agent_frames_in_total", "Frames read by agents."),
            &m.counter("hearth_cluster_agent_bytes_in_total", "Bytes read by agents."),
            &m.counter("hearth_cluster_agent_frames_out_total", "Frames written by agents."),
            &m.counter("hearth_cluster_agent_bytes_out_total", "Bytes written by agents.")};
}

}  // namespace

agent::agent(cluster& owner, tcp::socket socket)
    : owner_(owner),
      node_(owner.owner()),
      ex_(socket.get_executor()),
      log_(owner.owner().make_logger("cluster")),
      accepted_(std::move(socket)),
      remote_(detail::remote_text(*accepted_)),
      misaddressed_log_(owner.options().log_interval),
      link_(*this, ex_, agent_counters(node_)) {}

void agent::start() {
    // The socket moves into run()'s frame at once, so it lives exactly as long as run() (see
    // detail/link.hpp), even when run() never gets to start.
    auto work = run(std::move(*accepted_));
    accepted_.reset();
    detail::spawn_logged(ex_, std::move(work), log_, "agent for " + remote_,
                         [self = shared_from_this()] { self->owner_.agent_gone(self.get()); });
}

void agent::close(std::string reason) {
    asio::post(ex_, [self = shared_from_this(), reason = std::move(reason)] {
        self->link_.abort(failure{errc::link_closed, reason});
    });
}

void agent::reject(errc code, std::string text) {
    asio::post(ex_, [self = shared_from_this(), code, text = std::move(text)] {
        self->refusing_ = true;
        if (!self->link_.is_open()) {
            self->link_.abort(failure{code, text});  // still handshaking
            return;
        }
        {
            std::lock_guard lock(self->out_mutex_);
            self->accepting_replies_ = false;
            self->pending_.clear();
            self->pending_frames_ = 0;
            if (encode(frame{reject_frame{code, text}}, self->pending_)) self->pending_frames_ = 1;
        }
        self->log_->info("refusing the inbound link from '{}': {}", self->peer_, text);
        self->link_.close_after_write(failure{code, text});
        self->link_.wake_here();
    });
}

void agent::leave() {
    asio::post(ex_, [self = shared_from_this()] { self->link_.leave(); });
}

void agent::send_reply(std::uint64_t call_id, std::uint32_t worker, const remote_outcome& outcome) {
    reply_frame r;
    r.call_id = call_id;
    r.reply_to_worker = worker;
    if (outcome.error) {
        r.status = outcome.error->code;
        r.message = outcome.error->message;
        r.app_code = outcome.error->app_code;
    } else {
        r.payload = outcome.payload;
    }
    bool first = false;
    {
        std::lock_guard lock(out_mutex_);
        if (!accepting_replies_) return;
        first = pending_.empty();
        if (auto e = encode(r, pending_, peer_max_frame_); !e) {
            // Too large for the peer (or an over-long app code): the caller still gets an answer.
            reply_frame err;
            err.call_id = call_id;
            err.reply_to_worker = worker;
            err.status = rpc::errc::handler_failed;
            const std::string msg = "The reply cannot be sent: " + e.error().message;
            err.message = msg;
            if (!encode(err, pending_, peer_max_frame_)) return;
        }
        ++pending_frames_;
    }
    if (first) link_.wake();
}

awaitable<void> agent::run(tcp::socket socket) {
    auto self = shared_from_this();
    auto io = link_.open_io();  // the link's socket and timers live as long as this coroutine
    link_.adopt(std::move(socket));
    if (link_.failure_seen()) co_return;  // closed or refused before it could start
    boost::system::error_code ec;
    link_.socket().set_option(tcp::no_delay(true), ec);
    const auto cfg = owner_.config_snapshot();
    const auto limit = detail::handshake_limit(owner_.options(), cfg->heartbeat);
    const auto ok = co_await detail::within(limit, handshake());
    if (!ok) {
        owner_.count_handshake_failure(errc::handshake_timeout);
        log_->warn("handshake from {} did not complete within {} ms", remote_, limit.count());
        co_await detail::send_reject(link_.stream(), errc::handshake_timeout,
                                     "The handshake did not complete in time.");
    }
    if (!ok || !*ok || owner_.stopping()) co_return;
    if (!owner_.agent_up(self, peer_)) {
        // A reload removed the peer while its handshake ran.
        const std::string why =
            "Node '" + peer_ + "' is no longer in the configuration of node '" + node_.name() + "'.";
        co_await detail::send_reject(link_.stream(), errc::unknown_node, why);
        co_return;
    }
    const detail::link_timing timing{cfg->heartbeat, peer_heartbeat_, owner_.options().silent_intervals};
    const auto why = co_await link_.run(timing);
    // A link that ended normally (the peer or this node closed it) is routine; anything else (a
    // protocol violation, silence, a reject either way) is worth a warning.
    if (why == errc::link_closed || why == errc::shutting_down)
        log_->debug("inbound link from '{}' closed: {}", peer_, why.message);
    else
        log_->warn("inbound link from '{}' closed: {}", peer_, why.message);
}

awaitable<void> agent::refuse(errc code, std::string why, spdlog::level::level_enum level) {
    owner_.count_handshake_failure(code);
    log_->log(level, "handshake from {} failed: {}", remote_, why);
    co_await detail::send_reject(link_.stream(), code, why);
}

awaitable<bool> agent::handshake() {
    auto cfg = owner_.config_snapshot();
    const auto self_name = node_.name();
    auto& socket = link_.stream();
    if (auto tls = owner_.tls()) {
        // TLS first (protocol.md 1.1): a peer without a certificate of the cluster CA fails here,
        // with a TLS alert (no reject frame can reach a peer that does not speak our TLS).
        if (auto ec = co_await socket.start_tls(tls->server, true)) {
            owner_.count_tls_failure(ec, "a peer at " + remote_);
            co_return false;
        }
    }
    link_.decoder().set_max_frame(cfg->max_frame);
    challenge_frame c;
    c.time = detail::wire_time(clock::now());
    // A failing random generator or OpenSSL ends this handshake with the reason, counted; the
    // agent's other links and the listener are unaffected. (No co_await inside a handler.)
    std::string crypto_failure;
    try {
        c.nonce = make_nonce();
    } catch (const std::exception& e) {
        crypto_failure = std::string("Cannot draw the challenge nonce: ") + e.what();
    }
    if (!crypto_failure.empty()) {
        co_await refuse(errc::handshake_failed, std::move(crypto_failure), spdlog::level::err);
        co_return false;
    }
    {
        std::string out;
        frame f = c;
        (void)encode(f, out);
        if (auto ec = co_await detail::write_all(socket, out)) co_return false;
    }
    auto f = co_await detail::read_frame(socket, link_.decoder());
    if (!f) {
        // Garbage, an oversized length, or the peer went away (then there is nobody to tell).
        if (const auto code = errc_of(f.error().code))
            co_await refuse(*code, f.error().message, spdlog::level::warn);
        else {
            owner_.count_handshake_failure(errc::handshake_failed);
            log_->warn("handshake from {} failed: {}", remote_, f.error().message);
        }
        co_return false;
    }
    auto* hello = std::get_if<hello_frame>(&*f);
    if (!hello) {
        co_await refuse(errc::unexpected_frame,
                        "Expected a hello, got a " + std::string(to_string(type_of(*f))) + " frame.",
                        spdlog::level::warn);
        co_return false;
    }
    if (auto ok = check_hello(*hello, c.nonce, *cfg, self_name); !ok) {
        const auto code = errc_of(ok.error().code).value_or(errc::handshake_failed);
        owner_.count_handshake_failure(code);
        log_->warn("rejected a link from {} ('{}'): {}", remote_,
                   std::string(hello->sender_node).substr(0, 64), ok.error().message);
        const std::string text = ok.error().message;
        co_await detail::send_reject(socket, code, text);
        co_return false;
    }
    // Under TLS the certificate must name the node the hello claims to be: the cluster CA's
    // signature alone would let any node impersonate any other.
    if (socket.is_tls() && !socket.peer_certificate_names(hello->sender_node)) {
        co_await refuse(errc::certificate_mismatch,
                        "The certificate of the peer at " + remote_ + " does not name node '" +
                            std::string(hello->sender_node).substr(0, 64) +
                            "', which its hello claims to be.",
                        spdlog::level::warn);
        co_return false;
    }
    // The hello's stamps answer the challenge: the first estimate of the connector's clock,
    // which turns the deadlines of its calls into ours (protocol.md 7.1).
    if (hello->stamps.echo != c.time ||
        !link_.peer_clock().on_stamps(hello->stamps, detail::wire_time(clock::now()))) {
        co_await refuse(errc::handshake_failed, "The hello's clock stamps do not answer the challenge.",
                        spdlog::level::warn);
        co_return false;
    }
    if (owner_.stopping()) {
        co_await detail::send_reject(socket, errc::shutting_down, "The node is shutting down.");
        co_return false;
    }
    peer_ = std::string(hello->sender_node);
    peer_heartbeat_ = std::chrono::milliseconds(hello->heartbeat_ms);
    const auto services = node_.service_names();
    welcome_frame w;
    w.max_frame = static_cast<std::uint32_t>(cfg->max_frame);
    w.heartbeat_ms = static_cast<std::uint32_t>(cfg->heartbeat.count());
    w.node_incarnation = node_.incarnation();
    w.stamps = link_.peer_clock().stamps(detail::wire_time(clock::now()));
    w.node = self_name;
    w.services.assign(services.begin(), services.end());
    try {
        w.proof = welcome_proof(cfg->secret, c.nonce, *hello, w);
    } catch (const std::exception& e) {
        crypto_failure = std::string("Cannot sign the welcome: ") + e.what();
    }
    if (!crypto_failure.empty()) {
        co_await refuse(errc::handshake_failed, std::move(crypto_failure), spdlog::level::err);
        co_return false;
    }
    {
        std::lock_guard lock(out_mutex_);
        peer_max_frame_ = hello->max_frame;
        accepting_replies_ = true;
    }
    std::string out;
    frame wf = w;
    (void)encode(wf, out);
    if (auto ec = co_await detail::write_all(socket, out)) {
        std::lock_guard lock(out_mutex_);
        accepting_replies_ = false;
        co_return false;
    }
    co_return true;
}

void agent::collect(const request_frame& r, bool is_call, std::uint64_t call_id, std::uint32_t worker) {
    if (refusing_) return;  // the peer was removed: nothing more runs for it
    if (r.target_node != node_.name() || r.target_incarnation != node_.incarnation()) {
        owner_.count_misaddressed();
        if (misaddressed_log_.allow())
            log_->warn(
                "dropped a {} from '{}' for node '{}' incarnation {:016x} (this is '{}' incarnation "
                "{:016x}); "
                "{} similar suppressed",
                is_call ? "call" : "notify", peer_, std::string(r.target_node).substr(0, 64),
                r.target_incarnation, node_.name(), node_.incarnation(), misaddressed_log_.suppressed());
        return;
    }
    if (!batch_.empty() && r.target_service != batch_service_) flush_batch();
    batch_service_ = r.target_service;
    auto& e = batch_.emplace_back();
    e.route = r.route;
    e.payload = r.payload;
    e.source = r.source_service;
    if (r.origin) {
        auto o = std::make_shared<hearth::client_origin>();
        o->gate_node.assign(r.origin->gate_node);
        o->session_id = r.origin->session_id;
        o->uid.assign(r.origin->uid);
        e.client = std::move(o);
    }
    // The caller's deadline in our clock: time the frame spent in buffers, or this process
    // spent stopped, counts; a call already past it is answered `timeout` unrun (node).
    if (r.deadline != 0) e.deadline = link_.peer_clock().deadline_to_local(r.deadline);
    e.one_way = !is_call;
    e.call_id = call_id;
    e.reply_worker = worker;
}

void agent::flush_batch() {
    if (batch_.empty()) return;
    node::inbound_batch b;
    b.service = batch_service_;
    b.codec = owner_.codec();
    b.source_node = peer_;
    b.entries = batch_;
    b.replies = shared_from_this();
    transport_host(node_).dispatch_inbound(std::move(b));
    batch_.clear();
}

// ---- detail::link<agent>'s role -----------------------------------------------------------------

// Requests are collected and handed to the node in batches (one per target service run, at
// most one read's worth); anything else first flushes what came before it.
bool agent::on_frame(frame& fr, clock::time_point) {
    if (auto* c = std::get_if<call_frame>(&fr)) {
        collect(*c, true, c->call_id, c->reply_to_worker);
        return true;
    }
    if (auto* nf = std::get_if<notify_frame>(&fr)) {
        collect(*nf, false, 0, 0);
        return true;
    }
    flush_batch();
    if (std::holds_alternative<leave_frame>(fr)) {
        owner_.peer_leaving(peer_);
        return true;
    }
    return false;
}

void agent::fill_write(std::string& out, clock::time_point, std::uint64_t& frames) {
    std::lock_guard lock(out_mutex_);
    // Swapping hands the encoded replies over without a copy; the two buffers alternate.
    if (out.empty())
        out.swap(pending_);
    else {
        out.append(pending_);
        pending_.clear();
    }
    frames += pending_frames_;
    pending_frames_ = 0;
}

void agent::on_close() {
    std::lock_guard lock(out_mutex_);
    accepting_replies_ = false;
    pending_.clear();
    pending_frames_ = 0;
}

void agent::on_progress() noexcept {
    owner_.shutdown_progress();
}

}  // namespace hearth::cluster

#include "cluster/agent.hpp"

#include <exception>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "cluster/detail/link_io.hpp"
#include "cluster/handshake.hpp"
#include "framework/metrics.hpp"

namespace hearth::cluster {

using namespace asio::experimental::awaitable_operators;
using detail::tcp;

agent::agent(cluster& owner, tcp::socket socket)
    : owner_(owner),
      node_(owner.owner()),
      ex_(socket.get_executor()),
      log_(owner.owner().make_logger("cluster")),
      socket_(std::move(socket)),
      wake_timer_(ex_),
      watchdog_timer_(ex_),
      misaddressed_log_(owner.options().log_interval) {
    remote_ = detail::remote_text(socket_);
    auto& m = node_.metrics();
    frames_in_ = &m.counter("hearth_cluster_agent_frames_in_total", "Frames read by agents.");
    bytes_in_ = &m.counter("hearth_cluster_agent_bytes_in_total", "Bytes read by agents.");
    frames_out_ = &m.counter("hearth_cluster_agent_frames_out_total", "Frames written by agents.");
    bytes_out_ = &m.counter("hearth_cluster_agent_bytes_out_total", "Bytes written by agents.");
}

void agent::start() {
    auto self = shared_from_this();
    asio::co_spawn(ex_, run(), [self](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                self->log_->error("agent for {} failed: {}", self->remote_, x.what());
            } catch (...) {
                self->log_->error("agent for {} failed with an unknown exception", self->remote_);
            }
        }
        self->owner_.agent_gone(self.get());
    });
}

void agent::close(std::string reason) {
    asio::post(ex_, [self = shared_from_this(), reason = std::move(reason)] {
        if (self->link_open_)
            self->close_link(reason);
        else
            detail::shutdown_and_close(self->socket_);  // still handshaking
    });
}

void agent::reject(errc code, std::string text) {
    asio::post(ex_, [self = shared_from_this(), code, text = std::move(text)] {
        self->refusing_ = true;
        if (!self->link_open_) {
            detail::shutdown_and_close(self->socket_);  // still handshaking
            return;
        }
        {
            std::lock_guard lock(self->out_mutex_);
            self->accepting_replies_ = false;
            self->pending_.clear();
            (void)encode(frame{reject_frame{code, text}}, self->pending_);
            self->close_after_write_ = true;
        }
        self->failure_ = text;
        self->log_->info("refusing the inbound link from '{}': {}", self->peer_, text);
        self->wake_timer_.cancel();
    });
}

void agent::leave() {
    leave_pending_.store(true);
    asio::post(ex_, [self = shared_from_this()] {
        if (self->link_open_)
            self->wake_timer_.cancel();
        else
            self->leave_written_.store(true);
    });
}

void agent::wake_writer() {
    if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
    asio::post(ex_, [self = shared_from_this()] {
        self->wake_pending_.store(false, std::memory_order_release);
        self->wake_timer_.cancel();
    });
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
            (void)encode(err, pending_, peer_max_frame_);
        }
    }
    if (first) wake_writer();
}

void agent::close_link(const std::string& reason) {
    if (!link_open_) return;
    link_open_ = false;
    failure_ = reason;
    {
        std::lock_guard lock(out_mutex_);
        accepting_replies_ = false;
        pending_.clear();
    }
    detail::shutdown_and_close(socket_);
    wake_timer_.cancel();
    watchdog_timer_.cancel();
}

awaitable<void> agent::run() {
    auto self = shared_from_this();
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    const auto cfg = owner_.config_snapshot();
    const auto limit = owner_.options().handshake_timeout.count() > 0
                           ? owner_.options().handshake_timeout
                           : std::max(3 * cfg->heartbeat, std::chrono::milliseconds(1000));
    asio::steady_timer deadline(ex_);
    deadline.expires_after(limit);
    auto r = co_await (handshake() || deadline.async_wait(asio::use_awaitable));
    const bool ok = r.index() == 0 && std::get<0>(r);
    if (r.index() == 1) {
        owner_.count_handshake_failure(errc::handshake_timeout);
        log_->warn("handshake from {} did not complete within {} ms", remote_, limit.count());
        co_await detail::send_reject(socket_, errc::handshake_timeout,
                                     "The handshake did not complete in time.");
    }
    if (!ok || owner_.stopping()) {
        detail::shutdown_and_close(socket_);
        co_return;
    }
    if (!owner_.agent_up(self, peer_)) {
        // A reload removed the peer while its handshake ran.
        const std::string why =
            "Node '" + peer_ + "' is no longer in the configuration of node '" + node_.name() + "'.";
        co_await detail::send_reject(socket_, errc::unknown_node, why);
        detail::shutdown_and_close(socket_);
        co_return;
    }
    link_open_ = true;
    last_read_ = last_write_ = last_stamp_ = clock::now();
    co_await (reader() && writer() && watchdog());
    detail::shutdown_and_close(socket_);
    log_->debug("inbound link from '{}' closed: {}", peer_, failure_);
}

awaitable<bool> agent::handshake() {
    auto cfg = owner_.config_snapshot();
    const auto self_name = node_.name();
    decoder_.set_max_frame(cfg->max_frame);
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
        owner_.count_handshake_failure(errc::handshake_failed);
        log_->error("handshake from {} failed: {}", remote_, crypto_failure);
        co_await detail::send_reject(socket_, errc::handshake_failed, crypto_failure);
        co_return false;
    }
    {
        std::string out;
        frame f = c;
        (void)encode(f, out);
        if (auto ec = co_await detail::write_all(socket_, out)) co_return false;
    }
    auto f = co_await detail::read_frame(socket_, decoder_);
    if (!f) {
        // Garbage, an oversized length, or the peer went away.
        const auto code = f.error().code.category() == category() ? static_cast<errc>(f.error().code.value())
                                                                  : errc::handshake_failed;
        owner_.count_handshake_failure(code);
        log_->warn("handshake from {} failed: {}", remote_, f.error().message);
        if (f.error().code.category() == category())
            co_await detail::send_reject(socket_, code, f.error().message);
        co_return false;
    }
    auto* hello = std::get_if<hello_frame>(&*f);
    if (!hello) {
        const std::string why = "Expected a hello, got a " + std::string(to_string(type_of(*f))) + " frame.";
        owner_.count_handshake_failure(errc::unexpected_frame);
        log_->warn("handshake from {} failed: {}", remote_, why);
        co_await detail::send_reject(socket_, errc::unexpected_frame, why);
        co_return false;
    }
    if (auto ok = check_hello(*hello, c.nonce, *cfg, self_name); !ok) {
        const auto code = static_cast<errc>(ok.error().code.value());
        owner_.count_handshake_failure(code);
        log_->warn("rejected a link from {} ('{}'): {}", remote_,
                   std::string(hello->sender_node).substr(0, 64), ok.error().message);
        const std::string text = ok.error().message;
        co_await detail::send_reject(socket_, code, text);
        co_return false;
    }
    // The hello's stamps answer the challenge: the first estimate of the connector's clock,
    // which turns the deadlines of its calls into ours (protocol.md 7.1).
    if (hello->stamps.echo != c.time ||
        !clock_sync_.on_stamps(hello->stamps, detail::wire_time(clock::now()))) {
        const std::string why = "The hello's clock stamps do not answer the challenge.";
        owner_.count_handshake_failure(errc::handshake_failed);
        log_->warn("rejected a link from {}: {}", remote_, why);
        co_await detail::send_reject(socket_, errc::handshake_failed, why);
        co_return false;
    }
    if (owner_.stopping()) {
        co_await detail::send_reject(socket_, errc::shutting_down, "The node is shutting down.");
        co_return false;
    }
    peer_ = std::string(hello->sender_node);
    peer_heartbeat_ = std::chrono::milliseconds(hello->heartbeat_ms);
    heartbeat_ = cfg->heartbeat;
    const auto services = node_.service_names();
    welcome_frame w;
    w.max_frame = static_cast<std::uint32_t>(cfg->max_frame);
    w.heartbeat_ms = static_cast<std::uint32_t>(cfg->heartbeat.count());
    w.node_incarnation = node_.incarnation();
    w.stamps = clock_sync_.stamps(detail::wire_time(clock::now()));
    w.node = self_name;
    w.services.assign(services.begin(), services.end());
    try {
        w.proof = welcome_proof(cfg->secret, c.nonce, *hello, w);
    } catch (const std::exception& e) {
        crypto_failure = std::string("Cannot sign the welcome: ") + e.what();
    }
    if (!crypto_failure.empty()) {
        owner_.count_handshake_failure(errc::handshake_failed);
        log_->error("handshake from {} failed: {}", remote_, crypto_failure);
        co_await detail::send_reject(socket_, errc::handshake_failed, crypto_failure);
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
    if (auto ec = co_await detail::write_all(socket_, out)) {
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
    if (r.deadline != 0) e.deadline = clock_sync_.deadline_to_local(r.deadline);
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

awaitable<void> agent::reader() {
    auto self = shared_from_this();
    for (;;) {
        auto buf = decoder_.prepare(64 * 1024);
        auto [ec, n] =
            co_await socket_.async_read_some(asio::buffer(buf.data(), buf.size()), tuple_awaitable);
        decoder_.commit(n);
        if (ec) {
            close_link(ec == asio::error::eof ? std::string("The peer closed the link.")
                                              : "Reading failed: " + ec.message() + ".");
            co_return;
        }
        const auto now = clock::now();
        last_read_ = now;
        bytes_in_->add(n);
        std::uint64_t frames = 0;
        // Requests are collected and handed to the node in batches (one per target service
        // run, at most one read's worth); anything else first flushes what came before it.
        for (;;) {
            auto f = decoder_.next();
            if (!f) {
                flush_batch();
                log_->warn("link from '{}': invalid frame: {}", peer_, f.error().message);
                close_link("The peer sent an invalid frame: " + f.error().message);
                co_return;
            }
            if (!*f) break;
            ++frames;
            auto& fr = **f;
            if (auto* c = std::get_if<call_frame>(&fr)) {
                collect(*c, true, c->call_id, c->reply_to_worker);
                continue;
            }
            if (auto* nf = std::get_if<notify_frame>(&fr)) {
                collect(*nf, false, 0, 0);
                continue;
            }
            flush_batch();
            if (auto* hb = std::get_if<heartbeat_frame>(&fr)) {
                clock_sync_.on_stamps(hb->stamps, detail::wire_time(now));
            } else if (std::holds_alternative<leave_frame>(fr)) {
                owner_.peer_leaving(peer_);
            } else if (auto* rj = std::get_if<reject_frame>(&fr)) {
                close_link("The peer rejected the link: " + std::string(rj->text));
                co_return;
            } else {
                log_->warn("link from '{}': unexpected {} frame", peer_, to_string(type_of(fr)));
                close_link("The peer sent an unexpected " + std::string(to_string(type_of(fr))) + " frame.");
                co_return;
            }
        }
        flush_batch();
        frames_in_->add(frames);
    }
}

awaitable<void> agent::writer() {
    auto self = shared_from_this();
    for (;;) {
        if (!link_open_) co_return;
        wbuf_.clear();
        bool leave_in_batch = false;
        if (leave_pending_.exchange(false)) {
            leave_frame l;
            l.reason = "node shutting down";
            frame f = l;
            (void)encode(f, wbuf_);
            leave_in_batch = true;
        }
        bool last = false;
        {
            std::lock_guard lock(out_mutex_);
            if (wbuf_.empty())
                wbuf_.swap(pending_);
            else {
                wbuf_.append(pending_);
                pending_.clear();
            }
            last = close_after_write_;
        }
        const auto now = clock::now();
        if (!wbuf_.empty() && !last && now - last_stamp_ >= heartbeat_) {
            append_heartbeat(now);  // a busy link still carries clock stamps (protocol.md 7.1)
        } else if (wbuf_.empty()) {
            if (now - last_write_ >= heartbeat_) {
                append_heartbeat(now);
            } else {
                wake_timer_.expires_at(last_write_ + heartbeat_);
                co_await wake_timer_.async_wait(tuple_awaitable);
                continue;
            }
        }
        auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(wbuf_), tuple_awaitable);
        if (ec) {
            close_link("Writing failed: " + ec.message() + ".");
            co_return;
        }
        if (leave_in_batch) leave_written_.store(true);
        if (last) {
            close_link(failure_);
            co_return;
        }
        last_write_ = clock::now();
        frames_out_->add(1);
        bytes_out_->add(n);
        if (wbuf_.capacity() > 16 * 1024 * 1024) std::string().swap(wbuf_);
    }
}

void agent::append_heartbeat(clock::time_point now) {
    frame f = heartbeat_frame{clock_sync_.stamps(detail::wire_time(now))};
    (void)encode(f, wbuf_);
    last_stamp_ = now;
}

awaitable<void> agent::watchdog() {
    auto self = shared_from_this();
    const auto window = peer_heartbeat_ * owner_.options().silent_intervals;
    for (;;) {
        watchdog_timer_.expires_after(peer_heartbeat_);
        co_await watchdog_timer_.async_wait(tuple_awaitable);
        if (!link_open_) co_return;
        if (clock::now() - last_read_ > window) {
            log_->warn("inbound link from '{}' is silent; closing it", peer_);
            close_link("The link is silent.");
            co_return;
        }
    }
}

}  // namespace hearth::cluster

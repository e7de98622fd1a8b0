#include "cluster/sender.hpp"

#include <algorithm>
#include <exception>
#include <functional>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "cluster/detail/link_io.hpp"
#include "cluster/handshake.hpp"
#include "framework/metrics.hpp"

namespace hearth::cluster {

using namespace asio::experimental::awaitable_operators;
using detail::tcp;

namespace {

// The writer stops encoding queued messages into one write once its buffer reaches this size.
constexpr std::size_t max_write_batch = 256 * 1024;

std::string_view service_of(std::string_view address) {
    auto at = address.find('@');
    return at == std::string_view::npos ? address : address.substr(0, at);
}

// The timers exist only while run() does (see sender::run); commands arriving later find none.
void cancel_timer(std::optional<asio::steady_timer>& t) {
    if (t) t->cancel();
}

std::chrono::milliseconds handshake_limit(const cluster_options& o, std::chrono::milliseconds heartbeat) {
    if (o.handshake_timeout.count() > 0) return o.handshake_timeout;
    return std::max(3 * heartbeat, std::chrono::milliseconds(1000));
}

}  // namespace

sender::sender(cluster& owner, std::string peer, std::optional<endpoint> address,
               std::uint64_t membership_owner, unsigned worker, std::shared_ptr<detail::peer_record> record)
    : owner_(owner),
      node_(owner.owner()),
      peer_(std::move(peer)),
      membership_owner_(membership_owner),
      worker_(worker),
      record_(std::move(record)),
      ex_(owner.owner().worker_at(worker).executor()),
      log_(owner.owner().make_logger("cluster")),
      address_(std::move(address)),
      backoff_(owner.options().backoff_base, owner.options().backoff_cap, owner.options().jitter_seed),
      self_name_(owner.owner().name()) {
    online_.store(address_.has_value());
    auto& m = node_.metrics();
    const metric_labels peer_label{{"peer", peer_}};
    frames_out_ =
        &m.counter("hearth_cluster_sender_frames_out_total", "Frames written by senders.", peer_label);
    bytes_out_ = &m.counter("hearth_cluster_sender_bytes_out_total", "Bytes written by senders.", peer_label);
    frames_in_ = &m.counter("hearth_cluster_sender_frames_in_total", "Frames read by senders.", peer_label);
    bytes_in_ = &m.counter("hearth_cluster_sender_bytes_in_total", "Bytes read by senders.", peer_label);
    reconnects_ =
        &m.counter("hearth_cluster_reconnects_total", "Links re-established after a failure.", peer_label);
}

// ---- any thread ------------------------------------------------------------------------------

std::optional<rpc::error> sender::enqueue(const outbound_message& m) {
    if (!online_.load(std::memory_order_relaxed))
        return rpc::error{rpc::errc::unreachable, "Node '" + peer_ + "' is known but offline (no address)."};
    if (peer_left_.load(std::memory_order_relaxed))
        return rpc::error{rpc::errc::unreachable, "Node '" + peer_ + "' has left the cluster."};
    if (m.payload.size() > std::numeric_limits<std::uint32_t>::max())
        return rpc::error{rpc::errc::bad_request, "The request is too large for a cluster frame."};
    const auto bytes = detail::send_queue::bytes_for(m);
    {
        std::lock_guard lock(queue_mutex_);
        if (queue_closed_) return rpc::error{rpc::errc::unreachable, "Node '" + peer_ + "' was removed."};
        const auto& o = owner_.options();
        if (queue_.size() >= o.queue_limit || queued_bytes_ + bytes > o.queue_bytes_limit)
            return rpc::error{rpc::errc::overloaded, "The queue to node '" + peer_ + "' is full."};
        queue_.push(m);
        queued_bytes_ += bytes;
    }
    wake_writer();
    return std::nullopt;
}

void sender::wake_writer() {
    // One post per batch: the flag stays set until the wake-up has run on the worker.
    if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
    asio::post(ex_, [self = shared_from_this()] {
        self->wake_pending_.store(false, std::memory_order_release);
        cancel_timer(self->wake_timer_);
    });
}

void sender::post_command(std::function<void(sender&)> f) {
    asio::post(ex_, [self = shared_from_this(), f = std::move(f)] { f(*self); });
}

void sender::start() {
    post_command([](sender& s) {
        if (s.started_) return;
        s.started_ = true;
        auto self = s.shared_from_this();
        asio::co_spawn(s.ex_, s.run(), [self](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                self->log_->error("sender for '{}' failed: {}", self->peer_, x.what());
            } catch (...) {
                self->log_->error("sender for '{}' failed with an unknown exception", self->peer_);
            }
        });
    });
}

void sender::change_address(std::optional<endpoint> address) {
    online_.store(address.has_value());
    post_command([address = std::move(address)](sender& s) {
        s.address_ = address;
        s.reconnect_now_ = true;
        s.backoff_.reset();
        s.abort_link("the node's address changed");
        if (!address) s.fail_queue("Node '" + s.peer_ + "' went offline (no address).", false);
    });
}

void sender::relink() {
    post_command([](sender& s) {
        s.reconnect_now_ = true;
        s.backoff_.reset();
        s.abort_link("the cluster configuration changed");
    });
}

void sender::remove() {
    {
        std::lock_guard lock(queue_mutex_);
        queue_closed_ = true;
    }
    post_command([](sender& s) {
        s.removed_ = true;
        s.fail_queue("Node '" + s.peer_ + "' was removed from the cluster.", true);
        s.abort_link("the node was removed from the configuration");
    });
}

void sender::leave() {
    post_command([](sender& s) {
        if (s.link_open_) {
            s.leave_pending_ = true;
            cancel_timer(s.wake_timer_);
        } else {
            s.leave_written_.store(true);  // nothing to tell: no link
        }
    });
}

void sender::stop() {
    {
        std::lock_guard lock(queue_mutex_);
        queue_closed_ = true;
    }
    post_command([](sender& s) {
        s.stopped_ = true;
        s.fail_queue("This node is stopping.", true);
        s.abort_link("this node is stopping");
    });
}

bool sender::drained() const noexcept {
    std::lock_guard lock(queue_mutex_);
    return queue_.empty() && batch_left_.load() == 0 && in_flight_count_.load() == 0;
}

peer_stats sender::stats() const {
    peer_stats s;
    s.state = state_.load();
    s.connect_attempts = connect_attempts_.load();
    s.links_up = links_up_.load();
    s.live_sockets = record_->live_sockets();
    s.max_live_sockets = record_->max_live_sockets();
    s.peer_links_up = record_->links_up();
    s.clock_offset_us = clock_offset_us_.load(std::memory_order_relaxed);
    s.round_trip_us = round_trip_us_.load(std::memory_order_relaxed);
    s.in_flight = in_flight_count_.load();
    s.expired_dropped = expired_dropped_.load();
    s.unknown_replies = unknown_replies_.load();
    s.peer_incarnation = peer_incarnation_.load();
    {
        std::lock_guard lock(queue_mutex_);
        s.queued = queue_.size() + batch_left_.load();
    }
    std::lock_guard lock(info_mutex_);
    s.backoff_history.assign(backoff_history_.begin(), backoff_history_.end());
    if (!backoff_history_.empty()) s.last_backoff = backoff_history_.back();
    s.last_failure = last_failure_;
    return s;
}

// ---- the sender's worker ---------------------------------------------------------------------

void sender::abort_link(const std::string& reason) {
    if (link_open_) {
        close_link(reason);
    } else if (socket_) {
        // Connecting or handshaking: closing the socket ends the attempt.
        link_failure_ = reason;
        detail::shutdown_and_close(*socket_);
    }
    if (resolver_) resolver_->cancel();
    cancel_timer(command_timer_);
    cancel_timer(slot_timer_);
}

void sender::close_link(const std::string& reason) {
    if (!link_open_) return;
    link_open_ = false;
    link_failure_ = reason;
    set_state(link_state::tearing_down);
    if (socket_) detail::shutdown_and_close(*socket_);
    cancel_timer(wake_timer_);
    cancel_timer(watchdog_timer_);
}

void sender::fail_in_flight(const std::string& why) {
    in_flight_.for_each([&](detail::call_table::key key, clock::time_point) {
        remote_outcome o;
        o.error = rpc::error{rpc::errc::unreachable, why};
        transport_host(node_).deliver_reply(reply_address{key.worker, key.id}, std::move(o));
    });
    in_flight_.clear();
    in_flight_count_.store(0);
}

void sender::fail_queue(const std::string& why, bool close_queue) {
    detail::send_queue failed;
    {
        std::lock_guard lock(queue_mutex_);
        failed.swap(queue_);
        queued_bytes_ = 0;
        if (close_queue) queue_closed_ = true;
    }
    auto fail_calls = [&](const detail::send_queue& q, std::size_t from) {
        for (std::size_t i = from; i < q.size(); ++i) {
            if (q[i].one_way) continue;
            remote_outcome o;
            o.error = rpc::error{rpc::errc::unreachable, why};
            transport_host(node_).deliver_reply(q[i].reply_to, std::move(o));
        }
    };
    // Messages taken from the queue but not yet written (the writer's unfinished batch) fail
    // the same way, ahead of the rest.
    fail_calls(batch_, batch_pos_);
    batch_.clear();
    batch_pos_ = 0;
    batch_left_.store(0, std::memory_order_relaxed);
    fail_calls(failed, 0);
}

awaitable<void> sender::run() {
    auto self = shared_from_this();
    // The sender's io objects live exactly as long as this coroutine: the node destroys its
    // workers' io_contexts before it releases the transport (and with it this sender), so a
    // timer or socket still owned by the sender then would be destroyed after its service
    // (a use-after-free that the sanitizer build found). When run() ends, or its frame is
    // destroyed by the workers' teardown, the guard releases them on the worker.
    wake_timer_.emplace(ex_);
    watchdog_timer_.emplace(ex_);
    command_timer_.emplace(ex_);
    slot_timer_.emplace(ex_);
    resolver_.emplace(ex_);
    struct io_guard {
        sender& s;
        ~io_guard() {
            if (s.socket_) detail::shutdown_and_close(*s.socket_);
            s.socket_.reset();
            if (s.socket_counted_) s.record_->socket_closed();
            s.socket_counted_ = false;
            s.release_slot();
            s.wake_timer_.reset();
            s.watchdog_timer_.reset();
            s.command_timer_.reset();
            s.slot_timer_.reset();
            s.resolver_.reset();
        }
    } guard{*this};
    for (;;) {
        if (removed_ || stopped_) break;
        if (!address_) {
            set_state(link_state::idle);
            command_timer_->expires_at(clock::time_point::max());
            co_await command_timer_->async_wait(tuple_awaitable);
            continue;
        }
        reconnect_now_ = false;
        std::string why;
        const bool was_up = co_await establish(why);
        if (removed_ || stopped_) break;
        if (was_up && clock::now() - up_since_ >= owner_.options().stable_after) backoff_.reset();
        if (reconnect_now_) continue;
        set_state(link_state::backing_off);
        const auto delay = backoff_.next();
        {
            std::lock_guard lock(info_mutex_);
            backoff_history_.push_back(delay);
            if (backoff_history_.size() > 32) backoff_history_.pop_front();
        }
        command_timer_->expires_after(delay);
        co_await command_timer_->async_wait(tuple_awaitable);
    }
    set_state(link_state::stopped);
    fail_queue(removed_ ? "Node '" + peer_ + "' was removed from the cluster." : "This node is stopping.",
               true);
}

// One connection attempt and, when the handshake succeeds, the link's whole life. Returns
// whether the link was up. On return the socket is closed and gone, every coroutine that used
// it has exited, and the calls written on it have failed: the full teardown that must precede
// any reconnect.
awaitable<bool> sender::establish(std::string& why) {
    set_state(link_state::connecting);
    owner_.members().connecting(peer_, membership_owner_);
    link_failure_.clear();
    if (!co_await acquire_slot()) {
        why = link_failure_.empty() ? "The attempt was aborted." : link_failure_;
        co_return false;
    }
    socket_.emplace(ex_);
    socket_counted_ = true;
    record_->socket_opened();
    connect_attempts_.fetch_add(1);
    clock_sync_.reset();

    auto cfg = owner_.config_snapshot();
    heartbeat_ = cfg->heartbeat;
    asio::steady_timer deadline(ex_);
    deadline.expires_after(handshake_limit(owner_.options(), heartbeat_));
    bool ok = false;
    {
        auto r = co_await (handshake(why) || deadline.async_wait(asio::use_awaitable));
        if (r.index() == 0) {
            ok = std::get<0>(r);
        } else {
            why = "The handshake with '" + peer_ + "' did not complete in time.";
            owner_.count_handshake_failure(errc::handshake_timeout);
        }
    }
    if (ok && !removed_ && !stopped_ && !reconnect_now_) {
        link_open_ = true;
        // Count the link before announcing it: whoever sees `up` sees the counter too.
        // Per peer: the first link of a sender that a reload re-created is a reconnect too.
        links_up_.fetch_add(1);
        if (record_->count_link_up()) reconnects_->add();
        set_state(link_state::up);
        up_since_ = last_read_ = last_write_ = last_stamp_ = clock::now();
        peer_left_.store(false);
        leave_written_.store(false);
        log_->info("link to '{}' is up (incarnation {:016x})", peer_, link_incarnation_);
        co_await (reader() && writer() && watchdog());
        why = link_failure_;
    } else if (ok) {
        ok = false;
        why = link_failure_.empty() ? "The link was aborted." : link_failure_;
    }
    // Teardown: the socket is shut down and closed (close_link or the failed attempt), the
    // three coroutines have exited; now the socket goes and the calls written on it fail.
    set_state(link_state::tearing_down);
    if (socket_) detail::shutdown_and_close(*socket_);
    socket_.reset();
    socket_counted_ = false;
    record_->socket_closed();
    release_slot();  // only now may another sender of this peer open a socket
    if (!link_failure_.empty() && why.empty()) why = link_failure_;
    fail_in_flight("The link to node '" + peer_ + "' broke before the reply arrived: " + why);
    {
        std::lock_guard lock(info_mutex_);
        last_failure_ = why;
    }
    if (ok) {
        if (peer_left_.load()) {
            log_->info("link to '{}' closed after it left", peer_);
        } else {
            owner_.members().down(peer_, membership_owner_, why);
            if (stopped_ || removed_)
                log_->info("link to '{}' closed: {}", peer_, why);
            else
                log_->warn("link to '{}' is down: {}", peer_, why);
        }
    } else if (std::uint64_t suppressed = 0;
               !removed_ && !stopped_ && !peer_left_.load() && record_->allow_cannot_reach_log(suppressed)) {
        if (suppressed > 0)
            log_->warn("cannot reach '{}': {} ({} similar lines suppressed)", peer_, why, suppressed);
        else
            log_->warn("cannot reach '{}': {}", peer_, why);
    }
    co_return ok;
}

// Waits until this sender holds the peer's socket slot (an older sender of the same peer may
// still be closing its socket). False when a command (remove, stop, address change, relink)
// ended the wait.
awaitable<bool> sender::acquire_slot() {
    for (;;) {
        if (removed_ || stopped_ || reconnect_now_) co_return false;
        std::weak_ptr<sender> weak = weak_from_this();
        if (record_->try_acquire(this, [weak] {
                if (auto s = weak.lock()) s->post_command([](sender& me) { cancel_timer(me.slot_timer_); });
            })) {
            holds_slot_ = true;
            co_return true;
        }
        slot_timer_->expires_at(clock::time_point::max());
        co_await slot_timer_->async_wait(tuple_awaitable);
    }
}

void sender::release_slot() {
    if (!holds_slot_) return;
    holds_slot_ = false;
    record_->release(this);
}

awaitable<bool> sender::handshake(std::string& why) {
    const endpoint target = *address_;
    boost::system::error_code ec;
    std::vector<tcp::endpoint> candidates;
    auto addr = asio::ip::make_address(target.host, ec);
    if (!ec) {
        candidates.emplace_back(addr, target.port);
    } else {
        // A host name (docker-compose or Kubernetes service names, "localhost"): every address
        // it resolves to is tried in turn, not only the first.
        if (const auto& resolve = owner_.options().resolve) {
            for (const auto& text : resolve(target.host)) {
                auto a = asio::ip::make_address(text, ec);
                if (!ec) candidates.emplace_back(a, target.port);
            }
            if (candidates.empty()) {
                why = "Cannot resolve '" + target.host + "': no address.";
                co_return false;
            }
        } else {
            const std::string port_text = std::to_string(target.port);
            auto [rec, results] = co_await resolver_->async_resolve(target.host, port_text, tuple_awaitable);
            if (rec || results.empty()) {
                why = "Cannot resolve '" + target.host +
                      "': " + (rec ? rec.message() : std::string("no address")) + ".";
                co_return false;
            }
            for (const auto& r : results) candidates.push_back(r.endpoint());
        }
    }
    {
        std::string failures;
        bool connected = false;
        for (const auto& ep : candidates) {
            if (link_failure_.size() > 0) break;  // aborted meanwhile
            if (socket_->is_open()) detail::shutdown_and_close(*socket_);
            auto [cec] = co_await socket_->async_connect(ep, tuple_awaitable);
            if (!cec) {
                connected = true;
                break;
            }
            if (!failures.empty()) failures += "; ";
            failures += ep.address().to_string() + ": " + cec.message();
        }
        if (!connected) {
            why = "Connecting to " + target.to_string() +
                  " failed: " + (failures.empty() ? std::string("aborted") : failures) + ".";
            co_return false;
        }
    }
    set_state(link_state::handshaking);
    socket_->set_option(tcp::no_delay(true), ec);

    auto cfg = owner_.config_snapshot();
    decoder_.reset();
    decoder_.set_max_frame(cfg->max_frame);

    nonce challenge{};
    {
        auto f = co_await detail::read_frame(*socket_, decoder_);
        if (!f) {
            why = "Reading the challenge from " + target.to_string() + " failed: " + f.error().message;
            co_return false;
        }
        auto* c = std::get_if<challenge_frame>(&*f);
        if (!c) {
            if (auto* r = std::get_if<reject_frame>(&*f))
                why = "Node '" + peer_ + "' rejected the link: " + std::string(r->text);
            else
                why = "Expected a challenge from " + target.to_string() + ", got " +
                      std::string(to_string(type_of(*f))) + ".";
            co_return false;
        }
        if (auto ok = check_challenge(*c); !ok) {
            why = ok.error().message;
            co_await detail::send_reject(*socket_, errc::version_mismatch, why);
            co_return false;
        }
        challenge = c->nonce;
        clock_sync_.on_stamps(time_stamps{0, 0, c->time}, detail::wire_time(clock::now()));
    }

    const auto services = node_.service_names();
    hello_frame hello;
    hello.codec = cfg->codec;
    hello.max_frame = static_cast<std::uint32_t>(cfg->max_frame);
    hello.heartbeat_ms = static_cast<std::uint32_t>(cfg->heartbeat.count());
    hello.sender_incarnation = node_.incarnation();
    hello.stamps = clock_sync_.stamps(detail::wire_time(clock::now()));
    hello.cluster = cfg->cluster;
    hello.sender_node = self_name_;
    hello.target_node = peer_;
    hello.services.assign(services.begin(), services.end());
    try {
        hello.nonce = make_nonce();
        hello.proof = hello_proof(cfg->secret, challenge, hello);
    } catch (const std::exception& e) {
        // The random generator or OpenSSL failed: this attempt fails with the reason, the
        // sender lives on and retries after the backoff.
        why = std::string("Cannot sign the hello: ") + e.what();
        owner_.count_handshake_failure(errc::handshake_failed);
        co_return false;
    }
    {
        std::string out;
        frame f = hello;
        if (auto e = encode(f, out); !e) {
            why = "Cannot encode the hello: " + e.error().message;
            co_return false;
        }
        auto wec = co_await detail::write_all(*socket_, out);
        if (wec) {
            why = "Writing the hello to " + target.to_string() + " failed: " + wec.message() + ".";
            co_return false;
        }
    }

    auto f = co_await detail::read_frame(*socket_, decoder_);
    if (!f) {
        why = "Reading the welcome from " + target.to_string() + " failed: " + f.error().message;
        co_return false;
    }
    if (auto* r = std::get_if<reject_frame>(&*f)) {
        why = "Node '" + peer_ + "' rejected the handshake (" + std::string(to_string(r->code)) +
              "): " + std::string(r->text);
        owner_.count_handshake_failure(r->code);
        co_return false;
    }
    auto* w = std::get_if<welcome_frame>(&*f);
    if (!w) {
        why = "Expected a welcome from " + target.to_string() + ", got " +
              std::string(to_string(type_of(*f))) + ".";
        co_return false;
    }
    if (auto ok = check_welcome(*w, hello, challenge, *cfg); !ok) {
        why = ok.error().message;
        owner_.count_handshake_failure(static_cast<errc>(ok.error().code.value()));
        const auto code = static_cast<errc>(ok.error().code.value());
        co_await detail::send_reject(*socket_, code, why);
        co_return false;
    }
    if (w->stamps.echo != hello.stamps.sent ||
        !clock_sync_.on_stamps(w->stamps, detail::wire_time(clock::now()))) {
        why = "The welcome's clock stamps do not answer the hello.";
        owner_.count_handshake_failure(errc::handshake_failed);
        co_await detail::send_reject(*socket_, errc::handshake_failed, why);
        co_return false;
    }
    publish_clock();
    link_incarnation_ = w->node_incarnation;
    peer_incarnation_.store(w->node_incarnation);
    peer_heartbeat_ = std::chrono::milliseconds(w->heartbeat_ms);
    peer_max_frame_ = w->max_frame;
    link_codec_ = cfg->codec;
    std::vector<std::string> peer_services(w->services.begin(), w->services.end());
    owner_.members().up(peer_, membership_owner_, w->node_incarnation, std::move(peer_services));
    co_return true;
}

awaitable<void> sender::reader() {
    auto self = shared_from_this();
    for (;;) {
        auto buf = decoder_.prepare(64 * 1024);
        auto [ec, n] =
            co_await socket_->async_read_some(asio::buffer(buf.data(), buf.size()), tuple_awaitable);
        decoder_.commit(n);
        if (ec) {
            close_link(ec == asio::error::eof ? std::string("The peer closed the link.")
                                              : "Reading failed: " + ec.message() + ".");
            co_return;
        }
        last_read_ = clock::now();
        bytes_in_->add(n);
        std::uint64_t frames = 0;
        for (;;) {
            auto f = decoder_.next();
            if (!f) {
                close_link("The peer sent an invalid frame: " + f.error().message);
                co_return;
            }
            if (!*f) break;
            ++frames;
            auto& fr = **f;
            if (auto* r = std::get_if<reply_frame>(&fr)) {
                if (!in_flight_.take(detail::call_table::key{r->call_id, r->reply_to_worker})) {
                    unknown_replies_.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
                in_flight_count_.store(in_flight_.size(), std::memory_order_relaxed);
                remote_outcome o;
                o.codec = link_codec_;
                if (r->status)
                    o.error = rpc::error{*r->status, std::string(r->message), std::string(r->app_code)};
                else
                    o.payload.assign(r->payload);
                transport_host(node_).deliver_reply(reply_address{r->reply_to_worker, r->call_id},
                                                    std::move(o));
            } else if (auto* hb = std::get_if<heartbeat_frame>(&fr)) {
                // Its arrival already refreshed last_read_; its stamps refine the clock estimate.
                clock_sync_.on_stamps(hb->stamps, detail::wire_time(last_read_));
                publish_clock();
            } else if (auto* l = std::get_if<leave_frame>(&fr)) {
                if (!peer_left_.exchange(true)) {
                    log_->info("node '{}' is leaving: {}", peer_, l->reason);
                    owner_.members().left(peer_, membership_owner_, std::string(l->reason));
                    fail_queue("Node '" + peer_ + "' has left the cluster.", false);
                }
            } else if (auto* rj = std::get_if<reject_frame>(&fr)) {
                close_link("The peer rejected the link (" + std::string(to_string(rj->code)) +
                           "): " + std::string(rj->text));
                co_return;
            } else {
                close_link("The peer sent an unexpected " + std::string(to_string(type_of(fr))) + " frame.");
                co_return;
            }
        }
        frames_in_->add(frames);
    }
}

void sender::encode_message(const detail::send_queue::entry& m, clock::time_point now) {
    const auto fields = batch_.fields(m);
    // A call frame is a notify frame plus the reply address: fill the request part once.
    call_frame f;
    request_frame& base = f;
    base.target_node = peer_;
    base.target_incarnation = link_incarnation_;
    base.source_service = service_of(fields.source);
    base.target_service = fields.service;
    base.route = fields.route;
    base.payload = fields.payload;
    if (m.has_origin) {
        client_origin o;
        o.gate_node = fields.gate_node;
        o.session_id = m.session_id;
        o.uid = fields.uid;
        base.origin = o;
    }
    if (m.deadline != clock::time_point{}) {
        if (m.deadline <= now) {
            // The caller has stopped waiting: writing it would only make the peer do
            // work nobody reads.
            expired_dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        // Absolute, in this node's clock: the peer maps it to its own clock, so time the frame
        // spent in buffers or the peer spent stopped counts (protocol.md 3.5).
        base.deadline = detail::wire_time(m.deadline);
    }
    if (m.one_way) {
        if (auto e = encode_notify(base, wbuf_, peer_max_frame_); !e)
            log_->warn("dropped a notify for '{}' on '{}': {}", fields.route, peer_, e.error().message);
        return;
    }
    f.call_id = m.reply_to.call_id;
    f.reply_to_worker = m.reply_to.worker;
    if (auto e = encode(f, wbuf_, peer_max_frame_); !e) {
        remote_outcome o;
        o.error = rpc::error{rpc::errc::bad_request,
                             "The call cannot be sent to node '" + peer_ + "': " + e.error().message};
        transport_host(node_).deliver_reply(m.reply_to, std::move(o));
        return;
    }
    in_flight_.insert(detail::call_table::key{m.reply_to.call_id, m.reply_to.worker}, m.deadline);
}

awaitable<void> sender::writer() {
    auto self = shared_from_this();
    for (;;) {
        if (!link_open_) co_return;
        if (batch_pos_ == batch_.size()) {
            batch_.clear();
            batch_pos_ = 0;
            std::lock_guard lock(queue_mutex_);
            batch_.swap(queue_);
            queued_bytes_ = 0;
        }
        wbuf_.clear();
        std::uint64_t frames = 0;
        bool leave_in_batch = false;
        if (leave_pending_) {
            leave_in_batch = true;
            leave_pending_ = false;
            leave_frame l;
            l.reason = "node shutting down";
            frame f = l;
            if (encode(f, wbuf_)) ++frames;
        }
        const auto now = clock::now();
        // One write carries at most ~max_write_batch bytes: a deep queue (a notify burst) goes
        // out in a pipeline of bounded writes instead of one huge buffer built before the
        // first byte leaves; the rest stays in batch_, ahead of anything queued later.
        while (batch_pos_ < batch_.size() && wbuf_.size() < max_write_batch) {
            encode_message(batch_[batch_pos_++], now);
            ++frames;
        }
        // A busy link still carries clock stamps once per heartbeat interval (protocol.md 7.1).
        if (!wbuf_.empty() && now - last_stamp_ >= heartbeat_) {
            append_heartbeat(now);
            ++frames;
        }
        if (batch_pos_ == batch_.size()) {
            batch_.clear();
            batch_pos_ = 0;
        }
        batch_left_.store(batch_.size() - batch_pos_, std::memory_order_relaxed);
        in_flight_count_.store(in_flight_.size(), std::memory_order_relaxed);
        if (wbuf_.empty()) {
            if (now - last_write_ >= heartbeat_) {
                append_heartbeat(now);
                frames = 1;
            } else {
                // Idle: give back what a burst left in the queues and the write buffer.
                batch_.trim();
                {
                    std::lock_guard lock(queue_mutex_);
                    queue_.trim();
                }
                if (wbuf_.capacity() > 1024 * 1024) std::string().swap(wbuf_);
                wake_timer_->expires_at(last_write_ + heartbeat_);
                co_await wake_timer_->async_wait(tuple_awaitable);
                continue;
            }
        }
        auto [ec, n] = co_await asio::async_write(*socket_, asio::buffer(wbuf_), tuple_awaitable);
        if (ec) {
            close_link("Writing failed: " + ec.message() + ".");
            co_return;
        }
        last_write_ = clock::now();
        frames_out_->add(frames);
        bytes_out_->add(n);
        if (leave_in_batch) leave_written_.store(true);
        // Keep the buffer's capacity for the next batch, unless one huge batch inflated it.
        if (wbuf_.capacity() > 16 * 1024 * 1024) std::string().swap(wbuf_);
    }
}

void sender::append_heartbeat(clock::time_point now) {
    frame f = heartbeat_frame{clock_sync_.stamps(detail::wire_time(now))};
    (void)encode(f, wbuf_);
    last_stamp_ = now;
}

void sender::publish_clock() noexcept {
    clock_offset_us_.store(clock_sync_.offset_us(), std::memory_order_relaxed);
    round_trip_us_.store(clock_sync_.round_trip_us(), std::memory_order_relaxed);
}

awaitable<void> sender::watchdog() {
    auto self = shared_from_this();
    const auto window = peer_heartbeat_ * owner_.options().silent_intervals;
    for (;;) {
        watchdog_timer_->expires_after(peer_heartbeat_);
        co_await watchdog_timer_->async_wait(tuple_awaitable);
        if (!link_open_) co_return;
        const auto now = clock::now();
        if (now - last_read_ > window) {
            close_link("Nothing was read from the peer for " +
                       std::to_string(
                           std::chrono::duration_cast<std::chrono::milliseconds>(now - last_read_).count()) +
                       " ms (link silent).");
            co_return;
        }
        // Calls whose callers gave up long ago: their replies will be dropped anyway.
        const auto grace = std::chrono::seconds(1);
        in_flight_.erase_if([&](clock::time_point deadline) {
            return deadline != clock::time_point{} && deadline + grace < now;
        });
        in_flight_count_.store(in_flight_.size(), std::memory_order_relaxed);
    }
}

}  // namespace hearth::cluster

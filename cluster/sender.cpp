#include "cluster/sender.hpp"

#include <algorithm>
#include <functional>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include "cluster/detail/link_impl.hpp"
#include "cluster/detail/link_io.hpp"
#include "cluster/handshake.hpp"
#include "framework/metrics.hpp"
#include "framework/tls.hpp"

namespace hearth::cluster {

using detail::tcp;

namespace {

// The writer stops encoding queued messages into one write once its buffer reaches this size.
constexpr std::size_t max_write_batch = 256 * 1024;

std::string_view service_of(std::string_view address) {
    auto at = address.find('@');
    return at == std::string_view::npos ? address : address.substr(0, at);
}

// The sender's timers exist only while run() does (see detail/link.hpp); commands arriving later
// find none.
void cancel_timer(std::optional<asio::steady_timer>& t) {
    if (t) t->cancel();
}

detail::link_counters sender_counters(node& n, const std::string& peer) {
    auto& m = n.metrics();
    const metric_labels label{{"peer", peer}};
    return {&m.counter("hearth_cluster_sender_frames_in_total", "Frames read by senders.", label),
            &m.counter("hearth_cluster_sender_bytes_in_total", "Bytes read by senders.", label),
            &m.counter("hearth_cluster_sender_frames_out_total", "Frames written by senders.", label),
            &m.counter("hearth_cluster_sender_bytes_out_total", "Bytes written by senders.", label)};
}

// A read during the handshake failed: the decoder's own code when the bytes were invalid, else
// the handshake failed (the peer went away or the read failed).
failure handshake_read_failure(const failure& f, std::string sentence) {
    if (f.code.category() == category()) return failure{f.code, std::move(sentence)};
    return failure{errc::handshake_failed, std::move(sentence)};
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
      self_name_(owner.owner().name()),
      reconnects_(&node_.metrics().counter("hearth_cluster_reconnects_total",
                                           "Links re-established after a failure.", {{"peer", peer_}})),
      link_(*this, ex_, sender_counters(node_, peer_)) {
    online_.store(address_.has_value());
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
    link_.wake();
    return std::nullopt;
}

void sender::post_command(std::function<void(sender&)> f) {
    asio::post(ex_, [self = shared_from_this(), f = std::move(f)] { f(*self); });
}

void sender::start() {
    post_command([](sender& s) {
        if (s.started_) return;
        s.started_ = true;
        detail::spawn_logged(s.ex_, s.run(), s.log_, "sender for '" + s.peer_ + "'",
                             [self = s.shared_from_this()] {});
    });
}

void sender::change_address(std::optional<endpoint> address) {
    online_.store(address.has_value());
    post_command([address = std::move(address)](sender& s) {
        s.address_ = address;
        s.reconnect_now_ = true;
        s.backoff_.reset();
        s.abort_link(failure{errc::link_closed, "The address of node '" + s.peer_ + "' changed."});
        if (!address) s.fail_queue("Node '" + s.peer_ + "' went offline (no address).", false);
    });
}

void sender::relink() {
    post_command([](sender& s) {
        s.reconnect_now_ = true;
        s.backoff_.reset();
        s.abort_link(failure{errc::link_closed, "The cluster configuration changed."});
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
        s.abort_link(
            failure{errc::link_closed, "Node '" + s.peer_ + "' was removed from the configuration."});
    });
}

void sender::leave() {
    post_command([](sender& s) { s.link_.leave(); });
}

void sender::stop() {
    {
        std::lock_guard lock(queue_mutex_);
        queue_closed_ = true;
    }
    post_command([](sender& s) {
        s.stopped_ = true;
        s.fail_queue("This node is stopping.", true);
        s.abort_link(failure{errc::shutting_down, "This node is stopping."});
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

void sender::abort_link(failure why) {
    link_.abort(std::move(why));
    if (resolver_) resolver_->cancel();
    cancel_timer(command_timer_);
    cancel_timer(slot_timer_);
}

void sender::fail_in_flight(const std::string& why) {
    in_flight_.for_each([&](detail::call_table::key key, clock::time_point) {
        remote_outcome o;
        o.error = rpc::error{rpc::errc::unreachable, why};
        transport_host(node_).deliver_reply(reply_address{key.worker, key.id}, std::move(o));
    });
    in_flight_.clear();
    in_flight_count_.store(0);
    owner_.shutdown_progress();
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
    owner_.shutdown_progress();
}

awaitable<void> sender::run() {
    auto self = shared_from_this();
    // The link's socket and timers, and the sender's own timers and resolver, live exactly as
    // long as this coroutine (detail/link.hpp): the scope releases them when run() ends or its
    // frame is destroyed by the workers' teardown.
    auto io = link_.open_io();
    command_timer_.emplace(ex_);
    slot_timer_.emplace(ex_);
    resolver_.emplace(ex_);
    for (;;) {
        if (removed_ || stopped_) break;
        if (!address_) {
            set_state(link_state::idle);
            command_timer_->expires_at(clock::time_point::max());
            co_await command_timer_->async_wait(tuple_awaitable);
            continue;
        }
        reconnect_now_ = false;
        const auto end = co_await establish();
        teardown(end);
        if (removed_ || stopped_) break;
        if (end.was_up && clock::now() - up_since_ >= owner_.options().stable_after) backoff_.reset();
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
// whether the link was up and why it ended; teardown() then completes what must precede any
// reconnect.
awaitable<sender::attempt_end> sender::establish() {
    set_state(link_state::connecting);
    owner_.members().connecting(peer_, membership_owner_);
    link_.reset_for_attempt();
    if (!co_await acquire_slot()) {
        auto why = link_.failure_seen().value_or(failure{errc::link_closed, "The attempt was aborted."});
        co_return attempt_end{false, std::move(why)};
    }
    (void)link_.emplace_socket();
    socket_counted_ = true;
    record_->socket_opened();
    connect_attempts_.fetch_add(1);

    const auto cfg = owner_.config_snapshot();
    const auto heartbeat = cfg->heartbeat;
    const endpoint target = *address_;
    auto shake =
        co_await detail::within(detail::handshake_limit(owner_.options(), heartbeat), handshake(target));
    if (!shake) {
        owner_.count_handshake_failure(errc::handshake_timeout);
        co_return attempt_end{false, failure{errc::handshake_timeout,
                                             "The handshake with '" + peer_ + "' did not complete in time."}};
    }
    if (!*shake) co_return attempt_end{false, std::move(*shake).error()};
    // A command (remove, stop, address change, relink) that arrived during the handshake wins.
    if (removed_ || stopped_ || reconnect_now_) {
        auto why = link_.failure_seen().value_or(failure{errc::link_closed, "The link was aborted."});
        co_return attempt_end{false, std::move(why)};
    }
    // Count the link before announcing it: whoever sees `up` sees the counter too.
    // Per peer: the first link of a sender that a reload re-created is a reconnect too.
    links_up_.fetch_add(1);
    if (record_->count_link_up()) reconnects_->add();
    set_state(link_state::up);
    up_since_ = clock::now();
    peer_left_.store(false);
    log_->info("link to '{}' is up (incarnation {:016x})", peer_, link_incarnation_);
    const detail::link_timing timing{heartbeat, peer_heartbeat_, owner_.options().silent_intervals};
    auto why = co_await link_.run(timing);
    co_return attempt_end{true, std::move(why)};
}

// Teardown after an attempt: the socket is shut down and closed (by the link or the failed
// attempt) and the link's three coroutines have exited; now the socket goes, the slot is given
// back, and the calls written on it fail. Then the end is reported once.
void sender::teardown(const attempt_end& end) {
    // An attempt that a command ended before it got the socket slot opened nothing: nothing to
    // tear down, nothing to report.
    if (!socket_counted_) return;
    set_state(link_state::tearing_down);
    release_socket();
    release_slot();  // only now may another sender of this peer open a socket
    const std::string& why = end.why.message;
    fail_in_flight("The link to node '" + peer_ + "' broke before the reply arrived: " + why);
    {
        std::lock_guard lock(info_mutex_);
        last_failure_ = why;
    }
    if (end.was_up) {
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
}

void sender::release_socket() {
    link_.release_socket();
    if (socket_counted_) record_->socket_closed();
    socket_counted_ = false;
}

void sender::on_io_released() {
    // The link's socket is gone already (the scope releases it first): count it closed, then
    // give the slot back, then the sender's own io objects go.
    release_socket();
    release_slot();
    command_timer_.reset();
    slot_timer_.reset();
    resolver_.reset();
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

// ---- the handshake (protocol.md 4) -------------------------------------------------------------

awaitable<outcome<void>> sender::handshake(const endpoint& target) {
    auto candidates = co_await resolve(target);
    if (!candidates) co_return std::move(candidates).error();
    if (auto connected = co_await connect(target, *candidates); !connected) co_return connected;
    set_state(link_state::handshaking);
    boost::system::error_code ignored;
    link_.socket().set_option(tcp::no_delay(true), ignored);
    if (auto tls = owner_.tls()) {
        // TLS first (protocol.md 1.1): the peer proves it holds a certificate of the cluster CA
        // that names the node we dialled; the HMAC handshake then runs inside.
        if (auto ec = co_await link_.stream().start_tls(tls->client, false)) {
            owner_.count_tls_failure(ec, "node '" + peer_ + "' at " + target.to_string());
            co_return failure{errc::handshake_failed, "The TLS handshake with node '" + peer_ + "' at " +
                                                          target.to_string() + " failed (" +
                                                          std::string(tls_error_reason(ec)) +
                                                          "): " + ec.message() + "."};
        }
        if (!link_.stream().peer_certificate_names(peer_)) {
            const std::string why =
                "The certificate presented at " + target.to_string() + " does not name node '" + peer_ + "'.";
            owner_.count_handshake_failure(errc::certificate_mismatch);
            co_await detail::send_reject(link_.stream(), errc::certificate_mismatch, why);
            co_return failure{errc::certificate_mismatch, why};
        }
    }

    const auto cfg = owner_.config_snapshot();
    link_.decoder().reset();
    link_.decoder().set_max_frame(cfg->max_frame);
    auto challenge = co_await read_challenge(target);
    if (!challenge) co_return std::move(challenge).error();

    const auto services = node_.service_names();  // the hello's views point into these
    hello_frame hello = make_hello(*cfg, services);
    if (auto signed_hello = sign_hello(hello, *cfg, *challenge); !signed_hello) co_return signed_hello;
    if (auto written = co_await write_hello(target, hello); !written) co_return written;
    co_return co_await read_welcome(target, hello, *challenge, *cfg);
}

// Every address the target stands for, in resolver order. A host name (docker-compose or
// Kubernetes service names, "localhost") may stand for several; each is tried in turn.
awaitable<outcome<std::vector<tcp::endpoint>>> sender::resolve(const endpoint& target) {
    std::vector<tcp::endpoint> candidates;
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(target.host, ec);
    if (!ec) {
        candidates.emplace_back(addr, target.port);
        co_return candidates;
    }
    if (const auto& replacement = owner_.options().resolve) {
        for (const auto& text : replacement(target.host)) {
            auto a = asio::ip::make_address(text, ec);
            if (!ec) candidates.emplace_back(a, target.port);
        }
        if (candidates.empty())
            co_return failure{errc::connect_failed, "Cannot resolve '" + target.host + "': no address."};
        co_return candidates;
    }
    const std::string port_text = std::to_string(target.port);
    auto [rec, results] = co_await resolver_->async_resolve(target.host, port_text, tuple_awaitable);
    if (rec || results.empty())
        co_return failure{errc::connect_failed, "Cannot resolve '" + target.host + "': " +
                                                    (rec ? rec.message() : std::string("no address")) + "."};
    for (const auto& r : results) candidates.push_back(r.endpoint());
    co_return candidates;
}

// Dials each candidate in turn until one connects; the failure lists every refusal.
awaitable<outcome<void>> sender::connect(const endpoint& target,
                                         const std::vector<tcp::endpoint>& candidates) {
    auto& socket = link_.socket();
    std::string failures;
    for (const auto& ep : candidates) {
        if (link_.failure_seen()) break;  // aborted meanwhile
        if (socket.is_open()) detail::shutdown_and_close(socket);
        auto [ec] = co_await socket.async_connect(ep, tuple_awaitable);
        if (!ec) co_return outcome<void>{};
        if (!failures.empty()) failures += "; ";
        failures += ep.address().to_string() + ": " + ec.message();
    }
    co_return failure{errc::connect_failed, "Connecting to " + target.to_string() + " failed: " +
                                                (failures.empty() ? std::string("aborted") : failures) + "."};
}

// The acceptor's challenge: its nonce, and its clock's first stamp.
awaitable<outcome<nonce>> sender::read_challenge(const endpoint& target) {
    auto f = co_await detail::read_frame(link_.stream(), link_.decoder());
    if (!f)
        co_return handshake_read_failure(
            f.error(), "Reading the challenge from " + target.to_string() + " failed: " + f.error().message);
    auto* c = std::get_if<challenge_frame>(&*f);
    if (!c) {
        if (auto* r = std::get_if<reject_frame>(&*f))
            co_return failure{r->code, "Node '" + peer_ + "' rejected the link: " + std::string(r->text)};
        co_return failure{errc::unexpected_frame, "Expected a challenge from " + target.to_string() +
                                                      ", got " + std::string(to_string(type_of(*f))) + "."};
    }
    if (auto ok = check_challenge(*c); !ok) {
        // Not counted: the acceptor speaks another version; it learns why from the reject.
        const std::string why = ok.error().message;
        co_await detail::send_reject(link_.stream(), errc::version_mismatch, why);
        co_return failure{errc::version_mismatch, why};
    }
    link_.peer_clock().on_stamps(time_stamps{0, 0, c->time}, detail::wire_time(clock::now()));
    co_return c->nonce;
}

hello_frame sender::make_hello(const cluster_config& cfg, const std::vector<std::string>& services) {
    hello_frame hello;
    hello.codec = cfg.codec;
    hello.max_frame = static_cast<std::uint32_t>(cfg.max_frame);
    hello.heartbeat_ms = static_cast<std::uint32_t>(cfg.heartbeat.count());
    hello.sender_incarnation = node_.incarnation();
    hello.stamps = link_.peer_clock().stamps(detail::wire_time(clock::now()));
    hello.cluster = cfg.cluster;
    hello.sender_node = self_name_;
    hello.target_node = peer_;
    hello.services.assign(services.begin(), services.end());
    return hello;
}

// The hello's nonce and proof. The random generator or OpenSSL may fail: this attempt then
// fails with the reason, counted; the sender lives on and retries after the backoff.
outcome<void> sender::sign_hello(hello_frame& hello, const cluster_config& cfg, const nonce& challenge) {
    try {
        hello.nonce = make_nonce();
        hello.proof = hello_proof(cfg.secret, challenge, hello);
    } catch (const std::exception& e) {
        owner_.count_handshake_failure(errc::handshake_failed);
        return failure{errc::handshake_failed, std::string("Cannot sign the hello: ") + e.what()};
    }
    return {};
}

awaitable<outcome<void>> sender::write_hello(const endpoint& target, const hello_frame& hello) {
    std::string out;
    frame f = hello;
    if (auto e = encode(f, out); !e)
        co_return failure{e.error().code, "Cannot encode the hello: " + e.error().message};
    if (auto ec = co_await detail::write_all(link_.stream(), out))
        co_return failure{errc::handshake_failed,
                          "Writing the hello to " + target.to_string() + " failed: " + ec.message() + "."};
    co_return outcome<void>{};
}

// The welcome: checked against the hello (proof, cluster, codec) and the clock stamps; on
// success the link's parameters are taken from it and membership hears that the peer is up.
awaitable<outcome<void>> sender::read_welcome(const endpoint& target, const hello_frame& hello,
                                              const nonce& challenge, const cluster_config& cfg) {
    auto f = co_await detail::read_frame(link_.stream(), link_.decoder());
    if (!f)
        co_return handshake_read_failure(
            f.error(), "Reading the welcome from " + target.to_string() + " failed: " + f.error().message);
    if (auto* r = std::get_if<reject_frame>(&*f)) {
        owner_.count_handshake_failure(r->code);
        co_return failure{r->code, "Node '" + peer_ + "' rejected the handshake (" +
                                       std::string(to_string(r->code)) + "): " + std::string(r->text)};
    }
    auto* w = std::get_if<welcome_frame>(&*f);
    if (!w)
        co_return failure{errc::unexpected_frame, "Expected a welcome from " + target.to_string() + ", got " +
                                                      std::string(to_string(type_of(*f))) + "."};
    if (auto ok = check_welcome(*w, hello, challenge, cfg); !ok)
        co_return co_await refuse(std::move(ok).error());
    if (w->stamps.echo != hello.stamps.sent ||
        !link_.peer_clock().on_stamps(w->stamps, detail::wire_time(clock::now())))
        co_return co_await refuse(
            failure{errc::handshake_failed, "The welcome's clock stamps do not answer the hello."});
    publish_clock();
    link_incarnation_ = w->node_incarnation;
    peer_incarnation_.store(w->node_incarnation);
    peer_heartbeat_ = std::chrono::milliseconds(w->heartbeat_ms);
    peer_max_frame_ = w->max_frame;
    link_codec_ = cfg.codec;
    std::vector<std::string> peer_services(w->services.begin(), w->services.end());
    owner_.members().up(peer_, membership_owner_, w->node_incarnation, std::move(peer_services));
    co_return outcome<void>{};
}

awaitable<failure> sender::refuse(failure why) {
    // check_welcome's failures are cluster codes; anything else is reported as handshake_failed.
    const auto code = errc_of(why.code).value_or(errc::handshake_failed);
    owner_.count_handshake_failure(code);
    co_await detail::send_reject(link_.stream(), code, why.message);
    co_return why;
}

// ---- detail::link<sender>'s role -----------------------------------------------------------------

bool sender::on_frame(frame& fr, clock::time_point) {
    if (auto* r = std::get_if<reply_frame>(&fr)) {
        if (!in_flight_.take(detail::call_table::key{r->call_id, r->reply_to_worker})) {
            unknown_replies_.fetch_add(1, std::memory_order_relaxed);
            return true;
        }
        in_flight_count_.store(in_flight_.size(), std::memory_order_relaxed);
        remote_outcome o;
        o.codec = link_codec_;
        if (r->status)
            o.error = rpc::error{*r->status, std::string(r->message), std::string(r->app_code)};
        else
            o.payload.assign(r->payload);
        transport_host(node_).deliver_reply(reply_address{r->reply_to_worker, r->call_id}, std::move(o));
        return true;
    }
    if (auto* l = std::get_if<leave_frame>(&fr)) {
        if (!peer_left_.exchange(true)) {
            log_->info("node '{}' is leaving: {}", peer_, l->reason);
            owner_.members().left(peer_, membership_owner_, std::string(l->reason));
            fail_queue("Node '" + peer_ + "' has left the cluster.", false);
        }
        return true;
    }
    return false;
}

bool sender::encode_message(const detail::send_queue::entry& m, clock::time_point now, std::string& out) {
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
            return false;
        }
        // Absolute, in this node's clock: the peer maps it to its own clock, so time the frame
        // spent in buffers or the peer spent stopped counts (protocol.md 3.5).
        base.deadline = detail::wire_time(m.deadline);
    }
    if (m.one_way) {
        if (auto e = encode_notify(base, out, peer_max_frame_); !e) {
            log_->warn("dropped a notify for '{}' on '{}': {}", fields.route, peer_, e.error().message);
            return false;
        }
        return true;
    }
    f.call_id = m.reply_to.call_id;
    f.reply_to_worker = m.reply_to.worker;
    if (auto e = encode(f, out, peer_max_frame_); !e) {
        remote_outcome o;
        o.error = rpc::error{rpc::errc::bad_request,
                             "The call cannot be sent to node '" + peer_ + "': " + e.error().message};
        transport_host(node_).deliver_reply(m.reply_to, std::move(o));
        return false;
    }
    in_flight_.insert(detail::call_table::key{m.reply_to.call_id, m.reply_to.worker}, m.deadline);
    return true;
}

void sender::fill_write(std::string& out, clock::time_point now, std::uint64_t& frames) {
    if (batch_pos_ == batch_.size()) {
        batch_.clear();
        batch_pos_ = 0;
        std::lock_guard lock(queue_mutex_);
        batch_.swap(queue_);
        queued_bytes_ = 0;
    }
    // One write carries at most ~max_write_batch bytes: a deep queue (a notify burst) goes out
    // in a pipeline of bounded writes instead of one huge buffer built before the first byte
    // leaves; the rest stays in batch_, ahead of anything queued later.
    while (batch_pos_ < batch_.size() && out.size() < max_write_batch)
        if (encode_message(batch_[batch_pos_++], now, out)) ++frames;
    if (batch_pos_ == batch_.size()) {
        batch_.clear();
        batch_pos_ = 0;
    }
    batch_left_.store(batch_.size() - batch_pos_, std::memory_order_relaxed);
    in_flight_count_.store(in_flight_.size(), std::memory_order_relaxed);
}

void sender::on_idle() {
    // Give back what a burst left in the queues.
    batch_.trim();
    std::lock_guard lock(queue_mutex_);
    queue_.trim();
}

void sender::on_watchdog(clock::time_point now) {
    // Calls whose callers gave up long ago: their replies will be dropped anyway.
    const auto grace = std::chrono::seconds(1);
    in_flight_.erase_if([&](clock::time_point deadline) {
        return deadline != clock::time_point{} && deadline + grace < now;
    });
    in_flight_count_.store(in_flight_.size(), std::memory_order_relaxed);
    owner_.shutdown_progress();  // expired calls left the table: the drain may be waiting on them
}

void sender::on_read_end() noexcept {
    owner_.shutdown_progress();
}

void sender::on_progress() noexcept {
    owner_.shutdown_progress();
}

void sender::publish_clock() noexcept {
    clock_offset_us_.store(link_.peer_clock().offset_us(), std::memory_order_relaxed);
    round_trip_us_.store(link_.peer_clock().round_trip_us(), std::memory_order_relaxed);
}

}  // namespace hearth::cluster

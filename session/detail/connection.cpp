#include "session/detail/connection.hpp"

#include <algorithm>
#include <limits>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <nlohmann/json.hpp>

#include "framework/address.hpp"
#include "framework/constant_time.hpp"
#include "framework/node.hpp"
#include "framework/raw_call.hpp"
#include "framework/worker.hpp"
#include "session/compression.hpp"
#include "session/detail/resume_token.hpp"
#include "session/error.hpp"
#include "session/gate.hpp"
#include "session/message.hpp"

namespace hearth::session::detail {

namespace {

void log_task_failure(worker& w, std::exception_ptr e) {
    if (e) log_spawn_failure(w.owner(), "gate request", e);
}

}  // namespace

connection::connection(gate& g, worker& w, std::uint64_t id, transport_kind kind)
    : decoder_(g.options().max_packet_body),
      gate_(g),
      worker_(w),
      id_(id),
      kind_(kind),
      wake_(w.context()),
      joined_(w.context()),
      timer_(w.context()) {
    accepted_at_ = last_inbound_ = clock::now();
}

connection::~connection() = default;

// ---- life --------------------------------------------------------------------------------------

void connection::start() {
    gate_.on_session_opened(shared_from_this());
    node& n = gate_.node();
    asio::co_spawn(worker_.executor(), run(shared_from_this()), [&n](std::exception_ptr e) {
        if (e) log_spawn_failure(n, "gate session", e);
    });
    arm_timer();
}

awaitable<void> connection::run(std::shared_ptr<connection> self) {
    connection& c = *self;
    // The join of reader and writer, written by hand: Asio's `co_await (reader() && writer())`
    // compiles and runs correctly with GCC 12, but its coroutine, parallel group, cancellation
    // signals and two extra spawns cost 1.7 KB per session (hearth_bench_clients idle_memory:
    // 14.1 KB -> 15.8 KB per WebSocket session). Here the reader runs in this coroutine and the
    // writer in one spawned beside it, which is what the sessions cost before.
    //
    // Both loops end once the session is closed: close() shuts the socket (the reader's read
    // fails) and wakes the writer. Either may end first: the reader at the client's EOF while a
    // kick is still being flushed, the writer after its half-close while the reader drains.
    // Nothing below the join runs while either still touches the socket or the queue, and the
    // close is accounted for exactly once. An exception in a loop is logged and closes the
    // session, so the other loop ends too.
    c.writer_running_ = true;
    asio::co_spawn(c.worker_.executor(), c.writer(), [self](std::exception_ptr e) {
        if (e) self->loop_failed("gate session writer", e);
        self->writer_running_ = false;
        self->joined_.cancel();
    });
    std::exception_ptr failure;
    try {
        co_await c.reader();
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) c.loop_failed("gate session reader", failure);
    while (c.writer_running_) {
        c.joined_.expires_at(clock::time_point::max());
        co_await c.joined_.async_wait(tuple_awaitable);
    }
    c.close("closed", true);   // no-op unless only the send side was shut
    c.address_lease_.reset();  // the client's address may connect again
    c.gate_.connection_gone();
    // `self` keeps the connection alive until this returns, whatever the gate drops.
    c.transport_ended();
}

void connection::transport_ended() {
    if (session_) {
        // A relay: the session it carried parks again (unless a newer relay took it over).
        // A kick, a protocol error or a logout on this connection ends the session; a lost
        // transport parks it.
        auto p = std::move(session_);
        const std::uint64_t epoch = session_epoch_;
        std::string end_reason;
        if (logout_)
            end_reason = "client closed";
        else if (final_)
            end_reason = close_reason_.empty() ? std::string("closed") : close_reason_;
        p->home().post_function(
            [p, epoch, why = std::move(end_reason)](worker&) { p->relay_lost(epoch, why); });
        return;
    }
    // Parked, or carried by a relay: the session goes on without this transport.
    if (link_ == link::own) end_session(close_reason_);
}

void connection::loop_failed(const char* loop, std::exception_ptr e) {
    log_spawn_failure(gate_.node(), loop, e);
    close("internal error");
}

// ---- write queue -------------------------------------------------------------------------------

bool connection::reserve(std::size_t bytes) {
    // A relayed session's queue is only a staging area: the relay's queue has the bounds.
    if (link_ == link::relayed) return true;
    const auto& o = gate_.options();
    // A relay's replay (relay_write) is ahead of everything in the queue and outside the bounds.
    const std::size_t queued_bytes = queued_bytes_ - replay_bytes_;
    const std::size_t queued_packets = queued_packets_ - replay_packets_;
    if (queued_bytes + bytes > o.max_queued_bytes || queued_packets + 1 > o.max_queued_packets) {
        // A client that does not read must not grow our memory: drop it, count it.
        gate_.stats().slow_kicked.add();
        gate_.log().debug("session {}: write queue full ({} bytes, {} packets); closing", id_, queued_bytes_,
                          queued_packets_);
        // A client in a tunnel stops reading too: with resume on, the session parks.
        close("write queue full", true);
        return false;
    }
    queued_bytes_ += bytes;
    ++queued_packets_;
    return true;
}

template <class Encode>
connection::queued connection::append_owned(Encode encode, bool numbered) {
    if (refusing_output()) return queued::closing;
    numbered = numbered && replay_;
    if (!live_) {
        // Parked, or resumed and waiting for the client's ack: numbered packets are kept for
        // the replay, anything else (a heartbeat) has no one to go to.
        if (!numbered) return queued::closing;
        std::string packet;
        if (std::error_code ec = encode(packet)) return queued::not_encoded;
        return number(packet) ? queued::yes : queued::closing;
    }
    const std::size_t begin = own_.size();
    if (std::error_code ec = encode(own_)) {
        own_.resize(begin);
        return queued::not_encoded;
    }
    if (numbered && !number(std::string_view(own_).substr(begin))) return queued::closing;
    if (!reserve(own_.size() - begin)) return queued::closing;  // closed: own_ is cleared
    queue_owned(begin);
    wake_writer();
    return queued::yes;
}

void connection::queue_owned(std::size_t begin) {
    // TCP and TLS coalesce adjacent owned packets into one range; WebSocket sends one packet a
    // message. (Not while relayed: the relay may be a WebSocket, and it coalesces for itself.)
    if (is_byte_stream(kind_) && link_ == link::own && !items_.empty() && !items_.back().shared &&
        items_.back().end == begin) {
        items_.back().end = own_.size();
        ++items_.back().packets;
    } else {
        items_.push_back(out_item{nullptr, begin, own_.size(), 1});
    }
}

bool connection::send_copy(std::string_view packet) {
    return append_owned([&](std::string& out) {
               out.append(packet);
               return std::error_code{};
           }) == queued::yes;
}

bool connection::send_shared(std::shared_ptr<const std::string> packet) {
    if (refusing_output()) return false;
    if (replay_) {
        if (!number(packet)) return false;
        if (!live_) return true;
    }
    if (!reserve(packet->size())) return false;
    items_.push_back(out_item{std::move(packet), 0, 0, 1});
    wake_writer();
    return true;
}

bool connection::send_push(std::string_view route, std::string_view payload) {
    std::error_code why;
    const queued q = append_owned(
        [&](std::string& out) {
            return why = encode_push_packet(out, route, payload, gate_.options().dictionary.get());
        },
        true);
    // A push is fire-and-forget (gate::deliver_push): the log is its report.
    if (q == queued::not_encoded)
        gate_.log().warn("session {}: push '{}' not sent: {}", id_, route, why.message());
    return q == queued::yes;
}

void connection::take_queue(std::vector<out_item>& items, std::string& own) {
    items.swap(items_);
    own.swap(own_);
    heartbeat_queued_ = false;  // the one queued is on its way: the next may be queued
}

void connection::written(std::size_t bytes, std::size_t packets) {
    queued_bytes_ -= std::min(bytes, queued_bytes_);
    queued_packets_ -= std::min(packets, queued_packets_);
    // The replay is written first.
    replay_bytes_ -= std::min(bytes, replay_bytes_);
    replay_packets_ -= std::min(packets, replay_packets_);
    gate_.stats().bytes_out.add(bytes);
    gate_.stats().packets_out.add(packets);
}

void connection::wake_writer() {
    if (link_ == link::relayed) {
        schedule_pump();
        return;
    }
    if (writer_waiting_) {
        writer_waiting_ = false;
        wake_.cancel();
    }
}

awaitable<void> connection::wait_for_output() {
    if (!items_.empty() || stopped_) co_return;
    writer_waiting_ = true;
    wake_.expires_at(clock::time_point::max());
    co_await wake_.async_wait(tuple_awaitable);
    writer_waiting_ = false;
}

// ---- closing -----------------------------------------------------------------------------------

void connection::kick(std::string_view reason, std::uint16_t ws_code) {
    if (ended_ || kicking_ || (link_ == link::own && stopped_)) return;
    gate_.stats().kicked.add();
    end_gracefully(reason, ws_code, true);
}

namespace {

// The longest prefix of `text` that fits a WebSocket close reason (123 bytes) without cutting
// a UTF-8 sequence.
std::string close_frame_reason(std::string_view text) {
    constexpr std::size_t max = 123;
    if (text.size() <= max) return std::string(text);
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    return std::string(text.substr(0, n));
}

}  // namespace

void connection::end_gracefully(std::string_view reason, std::uint16_t ws_code, bool kick_packet) {
    if (ended_ || kicking_) return;
    if (link_ != link::own) {
        // A kick is never resumable: the session ends now; a relay delivers the kick.
        const std::string why = kick_packet ? "kicked: " + std::string(reason) : std::string(reason);
        if (link_ == link::relayed && relay_) {
            pump();  // what was queued before the kick goes first
            auto r = relay_;
            r->home().post_function([r, reason = std::string(reason), ws_code, kick_packet](worker&) {
                r->end_gracefully(reason, ws_code, kick_packet);
            });
        }
        end_session(why);
        return;
    }
    if (stopped_) return;
    final_ = true;
    if (kick_packet) {
        nlohmann::json body;
        body["reason"] = std::string(reason);
        const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        const std::size_t begin = own_.size();
        if (auto ec = encode_packet(own_, packet_type::kick, text)) {
            // Only a reason of megabytes gets here: the client cannot be told, so it is not
            // kept waiting for a flush either.
            gate_.log().warn("session {}: kick packet not sent: {}", id_, ec.message());
            own_.resize(begin);
            close(reason);
            return;
        }
        // The kick bypasses the queue bounds: it is the last packet, and the flush deadline
        // bounds it.
        queued_bytes_ += own_.size() - begin;
        ++queued_packets_;
        items_.push_back(out_item{nullptr, begin, own_.size(), 1});
        close_reason_ = "kicked: " + std::string(reason);
    } else {
        close_reason_ = std::string(reason);
    }
    kicking_ = true;
    ws_close_code_ = ws_code;
    ws_close_reason_ = close_frame_reason(reason);
    wake_writer();
    arm_timer();
}

void connection::on_flushed_after_kick() {
    if (flushed_ || stopped_) return;
    flushed_ = true;
    // Half-close: the client reads everything and the kick, then sees EOF; the reader closes us
    // on its EOF (or the kick flush deadline does). Closing now, with input we have not read,
    // would reset the connection and lose what the client had not read yet.
    shutdown_send();
}

void connection::close(std::string_view reason, bool resumable) {
    if (link_ == link::parked) {
        if (!resumable) end_session(reason);
        return;
    }
    if (link_ == link::relayed) {
        if (resumable) return;  // the relay's transport is the relay's business
        if (relay_) {
            auto r = relay_;
            r->home().post_function([r, reason = std::string(reason)](worker&) { r->close(reason); });
        }
        end_session(reason);
        return;
    }
    if (stopped_) return;
    stopped_ = true;
    if (close_reason_.empty()) close_reason_ = std::string(reason);
    timer_.cancel();
    wake_.cancel();
    writer_waiting_ = false;
    shutdown_and_close();
    items_.clear();
    own_.clear();
    own_.shrink_to_fit();
    queued_bytes_ = queued_packets_ = 0;
    replay_bytes_ = replay_packets_ = 0;
    if (resumable && can_park())
        park();
    else if (!(resumable && session_))  // a relay's lost transport parks the session it carries
        final_ = true;
}

// ---- protocol ----------------------------------------------------------------------------------

void connection::note_inbound() {
    last_inbound_ = clock::now();
}

void connection::on_bytes_in(std::size_t n) {
    note_inbound();
    gate_.stats().bytes_in.add(n);
}

void connection::on_protocol_error(std::error_code ec) {
    if (refusing_output()) return;
    gate_.stats().protocol_errors.add();
    gate_.log().debug("session {} ({}): protocol error: {}", id_, remote_, ec.message());
    // A client that breaks the protocol may still be reading: tell it why, like a kick. The
    // decoders report session codes only; the reason names the code (client-visible, stable).
    const auto e = errc_of(ec);
    const std::string name = e ? std::string(to_string(*e)) : ec.message();
    const bool too_big = e == errc::packet_too_large || e == errc::payload_too_large;
    end_gracefully("protocol error: " + name, too_big ? ws_close::too_big : ws_close::protocol_error, true);
}

connection::next_step connection::on_packet(const packet& p) {
    if (stopped_) return next_step::stop;
    gate_.stats().packets_in.add();
    if (kicking_) return next_step::more;  // we are leaving: read only to see the client's EOF
    switch (p.type) {
        case packet_type::handshake: {
            if (state_ != state::awaiting_handshake) {
                on_protocol_error(errc::unexpected_packet);
                return next_step::stop;
            }
            if (auto ec = parse_handshake(p.body, pending_handshake_)) {
                gate_.stats().protocol_errors.add();
                refuse_handshake(400, "The handshake is not valid JSON.", "bad handshake",
                                 ws_close::protocol_error);
                return next_step::more;
            }
            if (gate_.options().resume.enabled)
                resume_status_ = parse_resume_request(pending_handshake_, resume_request_);
            if (gate_.options().validator || resume_status_ != resume_request_status::absent) {
                state_ = state::validating;
                return next_step::validate;
            }
            accept_handshake();
            return next_step::more;
        }
        case packet_type::handshake_ack:
            if (state_ != state::awaiting_ack) {
                on_protocol_error(errc::unexpected_packet);
                return next_step::stop;
            }
            state_ = state::working;
            // The first Heartbeat goes out now: clients that only answer ours (pomelo's, Nano's)
            // start their clock from it (client-protocol.md section 2.5).
            send_heartbeat();
            arm_timer();
            if (session_) {
                // A resumed session: what the client missed, then live traffic, after this.
                session_->home().post_function(
                    [p = session_, e = session_epoch_](worker&) { p->relay_acked(e); });
            }
            return next_step::more;
        case packet_type::heartbeat:
            // Answer at once, as Pomelo's server does: a client on its own timer expects one
            // back, and a client that only answers ours sends its next one `heartbeat` after it.
            if (state_ == state::working) send_heartbeat();
            return next_step::more;
        case packet_type::data:
            if (state_ != state::working) {
                on_protocol_error(errc::data_before_ack);
                return next_step::stop;
            }
            if (session_) {
                session_->home().post_function([p = session_, e = session_epoch_, body = std::string(p.body)](
                                                   worker&) { p->relay_data(e, body); });
                return next_step::more;
            }
            handle_data(p.body);
            return stopped_ ? next_step::stop : next_step::more;
        default:
            on_protocol_error(errc::unexpected_packet);
            return next_step::stop;
    }
}

awaitable<void> connection::run_validator() {
    handshake_verdict verdict;
    if (gate_.options().validator) {
        try {
            verdict = co_await gate_.options().validator(pending_handshake_);
        } catch (const std::exception& e) {
            gate_.log().warn("session {}: handshake validator threw: {}", id_, e.what());
            verdict = handshake_verdict{500, "The server could not check the handshake."};
        }
    }
    pending_handshake_ = handshake_request{};
    if (stopped_) co_return;
    if (verdict.code != 200) {
        refuse_handshake(verdict.code, verdict.message, "handshake refused", ws_close::normal);
        co_return;
    }
    if (resume_status_ != resume_request_status::absent) {
        if (co_await attempt_resume()) co_return;
        if (stopped_) co_return;
    }
    accept_handshake();
}

bool connection::send_handshake_reply(const std::string& body) {
    const queued q =
        append_owned([&](std::string& out) { return encode_packet(out, packet_type::handshake, body); });
    if (q == queued::not_encoded) {
        // A dictionary or a validator message of megabytes: the client cannot be answered.
        gate_.log().error("session {}: handshake reply not sent: its {} bytes are over the packet limit", id_,
                          body.size());
        close("handshake reply not sent");
    }
    return q == queued::yes;
}

void connection::accept_handshake() {
    const auto& o = gate_.options();
    std::optional<resume_grant> grant;
    if (o.resume.enabled) {
        // A new session: numbered from 1, with a token for its first resume.
        replay_ = std::make_unique<replay_buffer>();
        secret_ = make_resume_secret();
        grant.emplace(resume_grant{format_resume_token(id_, secret_), o.resume.grace, false});
    }
    if (send_handshake_reply(handshake_reply(o.heartbeat, o.dictionary.get(), grant ? &*grant : nullptr)))
        state_ = state::awaiting_ack;
}

void connection::refuse_handshake(int code, std::string_view message, std::string_view reason,
                                  std::uint16_t ws_code) {
    if (send_handshake_reply(handshake_failure(code, message))) end_gracefully(reason, ws_code, false);
}

void connection::handle_data(std::string_view body) {
    message m;
    if (auto ec = decode_message(body, gate_.options().dictionary.get(), m)) {
        on_protocol_error(ec);
        return;
    }
    std::string inflated;
    if (m.zlib) {
        if (auto ec = inflate_payload(m.payload, inflated, gate_.options().max_packet_body)) {
            on_protocol_error(ec);
            return;
        }
        m.payload = inflated;
    }
    switch (m.type) {
        case message_type::request:
            if (!take_token()) {
                send_error(m.id, refusal{rpc::errc::overloaded, "Too many requests: slow down."});
                return;
            }
            start_request(m.id, m.route, m.payload);
            return;
        case message_type::notify:
            if (!take_token()) return;
            start_notify(m.route, m.payload);
            return;
        default:
            on_protocol_error(errc::bad_message);
            return;
    }
}

bool connection::take_token() {
    const auto& o = gate_.options();
    if (o.rate_limit <= 0) return true;
    const double burst = o.rate_burst > 0 ? o.rate_burst : std::max(1.0, o.rate_limit);
    const auto now = clock::now();
    if (!requests_.has_value()) requests_.emplace(burst, now);  // full at the first request
    if (requests_->take(o.rate_limit, burst, now)) return true;
    gate_.stats().rate_limited.add();
    return false;
}

void connection::send_response(std::uint64_t msg_id, std::string_view payload, bool error) {
    const queued q = append_owned(
        [&](std::string& out) { return encode_response_packet(out, msg_id, payload, error); }, true);
    if (q != queued::not_encoded) return;
    // Only a payload over the packet limit (16 MiB) fails: the client still gets one Response.
    gate_.log().warn("session {}: response {} not sent: its {} bytes are over the packet limit", id_, msg_id,
                     payload.size());
    if (!error) gate_.stats().request_errors.add();
    std::string fallback;
    append_error_payload(fallback, client_error_code(rpc::errc::handler_failed),
                         "The response is too large.");
    if (append_owned([&](std::string& out) { return encode_response_packet(out, msg_id, fallback, true); },
                     true) == queued::not_encoded)
        close("response not sent");  // cannot happen with a payload this short; never leave it unanswered
}

void connection::send_error(std::uint64_t msg_id, const refusal& why) {
    gate_.stats().request_errors.add();
    std::string payload;
    append_error_payload(payload, client_error_code(why.code), why.message);
    send_response(msg_id, payload, true);
}

bool connection::resolve_route(std::string_view route, std::string& address, refusal& why) {
    const auto dot = route.find('.');
    if (dot != std::string_view::npos) return resolve(route.substr(0, dot), address, why);
    why = refusal{rpc::errc::not_found, "No such route."};
    return false;
}

bool connection::resolve(std::string_view service, std::string& address, refusal& why) {
    // Clients reach application services only: the gate's own methods (push to any session,
    // bind any uid) are for services.
    if (service.empty() || service == gate_.name()) {
        why = refusal{rpc::errc::not_found, "No such route."};
        return false;
    }
    if (worker_.find_service(service)) {
        address.assign(service);
        return true;
    }
    remote_transport* t = gate_.node().transport_ptr();
    if (!t) {
        why = refusal{rpc::errc::not_found, "No service '" + std::string(service) + "' serves this route."};
        return false;
    }
    auto nodes = t->nodes_hosting(service);
    auto sticky =
        std::find_if(sticky_.begin(), sticky_.end(), [&](const auto& e) { return e.first == service; });
    if (sticky != sticky_.end()) {
        if (std::find(nodes.begin(), nodes.end(), sticky->second) != nodes.end()) {
            address = std::string(service) + "@" + sticky->second;
            return true;
        }
        sticky_.erase(sticky);  // its node went down: pick again below if another hosts it
    }
    auto& known = gate_.shard_at(worker_.index()).remote_services;
    if (nodes.empty()) {
        if (known.count(std::string(service)))
            why =
                refusal{rpc::errc::unreachable, "The service '" + std::string(service) + "' is unavailable."};
        else
            why =
                refusal{rpc::errc::not_found, "No service '" + std::string(service) + "' serves this route."};
        return false;
    }
    std::size_t pick =
        gate_.options().picker ? gate_.options().picker(id_, service, nodes) : id_ % nodes.size();
    if (pick >= nodes.size()) pick = 0;
    sticky_.emplace_back(std::string(service), nodes[pick]);
    known.insert(std::string(service));
    address = std::string(service) + "@" + nodes[pick];
    return true;
}

void connection::remember_served(const std::string& address) {
    if (std::find(served_.begin(), served_.end(), address) == served_.end()) served_.push_back(address);
}

std::shared_ptr<const client_origin> connection::origin() {
    if (!origin_) {
        auto o = std::make_shared<client_origin>();
        o->gate_node = gate_.node().name();
        o->session_id = id_;
        o->uid = uid_;
        origin_ = std::move(o);
    }
    return origin_;
}

void connection::set_uid(std::string uid) {
    uid_ = std::move(uid);
    origin_.reset();
}

namespace {

awaitable<void> request_task(std::shared_ptr<connection> self, gate* g, std::uint64_t msg_id,
                             std::string address, std::string route, std::string payload,
                             std::shared_ptr<const client_origin> origin,
                             std::function<void(connection&, std::uint64_t, result<std::string>&)> done) {
    call_context ctx;
    ctx.client = std::move(origin);
    auto r = co_await call_encoded(address, route, rpc::codec::json, std::move(payload),
                                   g->options().request_timeout, std::move(ctx));
    done(*self, msg_id, r);
}

}  // namespace

void connection::start_request(std::uint64_t msg_id, std::string_view route, std::string_view payload) {
    gate_.stats().requests.add();
    std::string address;
    refusal why;
    if (!resolve_route(route, address, why)) {
        send_error(msg_id, why);
        return;
    }
    remember_served(address);
    auto done = [](connection& c, std::uint64_t id, result<std::string>& r) {
        if (c.refusing_output()) return;
        if (r) {
            c.send_response(id, *r, false);
            return;
        }
        if (r.code() == rpc::errc::unreachable) c.sticky_.clear();  // pick again next time
        c.gate_.stats().request_errors.add();
        std::string err;
        append_error_payload(err, r.error());
        c.send_response(id, err, true);
    };
    worker& w = worker_;
    asio::co_spawn(worker_.executor(),
                   request_task(shared_from_this(), &gate_, msg_id, std::move(address), std::string(route),
                                std::string(payload), origin(), std::move(done)),
                   [&w](std::exception_ptr e) { log_task_failure(w, e); });
}

void connection::start_notify(std::string_view route, std::string_view payload) {
    std::string address;
    refusal why;
    if (!resolve_route(route, address, why)) {
        gate_.log().debug("session {}: notify '{}' dropped: {}", id_, route, why.message);
        return;
    }
    remember_served(address);
    call_context ctx;
    ctx.client = origin();
    auto r =
        notify_encoded(gate_.node(), address, route, rpc::codec::json, std::string(payload), std::move(ctx));
    if (!r) gate_.log().debug("session {}: notify '{}' not delivered: {}", id_, route, r.error().describe());
}

// ---- timer -------------------------------------------------------------------------------------

void connection::send_heartbeat() {
    next_heartbeat_ = clock::now() + gate_.options().heartbeat;
    // One waiting in the queue is enough: a client that floods heartbeats without reading
    // must not grow the queue with answers.
    if (heartbeat_queued_) return;
    if (send_copy(heartbeat_packet)) heartbeat_queued_ = true;
}

void connection::arm_timer() {
    if (ended_) return;
    const auto& o = gate_.options();
    clock::time_point at;
    if (link_ == link::relayed) return;  // the relay watches the transport
    if (link_ == link::parked)
        at = parked_at_ + o.resume.grace;
    else if (stopped_)
        return;
    else if (kicking_)
        at = clock::now() + o.kick_flush_timeout;
    else if (state_ != state::working)
        at = accepted_at_ + o.handshake_timeout;
    else
        at = std::min(next_heartbeat_, last_inbound_ + 2 * o.heartbeat);
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->on_timer();
    });
}

void connection::on_timer() {
    if (ended_) return;
    const auto& o = gate_.options();
    const auto now = clock::now();
    if (link_ == link::parked) {
        if (now >= parked_at_ + o.resume.grace) {
            gate_.stats().resume_expired.add();
            auto self = shared_from_this();
            end_session("resume grace expired");
            return;
        }
        arm_timer();
        return;
    }
    if (stopped_ || link_ != link::own) return;
    if (kicking_) {
        close(flushed_ ? "kicked" : "kick flush timed out");
        return;
    }
    if (state_ != state::working) {
        if (now >= accepted_at_ + o.handshake_timeout) {
            gate_.stats().protocol_errors.add();
            gate_.log().debug("session {}: no handshake within {} ms", id_, o.handshake_timeout.count());
            if (session_)
                close("handshake timeout", true);  // a resume never acked: the session parks again
            else
                end_gracefully("handshake timeout", ws_close::going_away, false);
            return;
        }
    } else {
        // A live client sends something at most `heartbeat` (+ a round trip) after each
        // Heartbeat it receives, and it receives one at least every `heartbeat`: nothing for
        // 2 x heartbeat means it is gone.
        if (now >= last_inbound_ + 2 * o.heartbeat) {
            gate_.log().debug("session {}: nothing received for {} ms", id_, (2 * o.heartbeat).count());
            // A silent client is a lost connection: with resume on, the session parks (a relay's
            // session parks again); no Kick, which would tell the client not to come back.
            if (can_park() || session_)
                close("heartbeat timeout", true);
            else
                end_gracefully("heartbeat timeout", ws_close::going_away, true);
            return;
        }
        if (now >= next_heartbeat_) send_heartbeat();
    }
    arm_timer();
}

// ---- resume ------------------------------------------------------------------------------------

bool connection::number(std::string_view packet) {
    const std::size_t before = replay_->bytes();
    replay_->add(packet);
    gate_.stats().resume_buffer_bytes.add(static_cast<double>(replay_->bytes() - before));
    return after_numbering();
}

bool connection::number(std::shared_ptr<const std::string> packet) {
    const std::size_t before = replay_->bytes();
    replay_->add(std::move(packet));
    gate_.stats().resume_buffer_bytes.add(static_cast<double>(replay_->bytes() - before));
    return after_numbering();
}

bool connection::after_numbering() {
    const auto& r = gate_.options().resume;
    if (!replay_->over(r.buffer_bytes, r.buffer_packets)) return true;
    if (live_) {
        // Connected: the oldest packets are written (or being written) already; a resume that
        // needs them again finds the buffer too short and starts a new session.
        const std::size_t before = replay_->bytes();
        replay_->trim(r.buffer_bytes, r.buffer_packets);
        gate_.stats().resume_buffer_bytes.add(-static_cast<double>(before - replay_->bytes()));
        return true;
    }
    // Parked (or resumed and not yet replayed): dropping a packet would lose it for good.
    gate_.stats().resume_overflow.add();
    gate_.log().debug("session {}: resume buffer full ({} bytes, {} packets) while parked; closing", id_,
                      replay_->bytes(), replay_->packets());
    auto self = shared_from_this();
    close("resume buffer full");
    return false;
}

bool connection::can_park() const noexcept {
    return replay_ && state_ == state::working && !kicking_ && !final_ && !ended_ && !logout_ && !session_ &&
           !gate_.draining();
}

void connection::park() {
    link_ = link::parked;
    live_ = false;
    parked_at_ = clock::now();
    items_.clear();
    own_.clear();
    queued_bytes_ = queued_packets_ = 0;
    gate_.log().debug("session {} parked ({}) for {} ms", id_, close_reason_,
                      gate_.options().resume.grace.count());
    gate_.on_session_parked(*this);
    arm_timer();
}

void connection::end_session(std::string_view reason) {
    if (ended_) return;
    auto self = shared_from_this();  // the gate drops its reference below
    const bool was_parked = link_ == link::parked;
    ended_ = final_ = true;
    close_reason_ = std::string(reason);
    timer_.cancel();
    if (replay_) {
        gate_.stats().resume_buffer_bytes.add(-static_cast<double>(replay_->bytes()));
        replay_->clear();
    }
    relay_.reset();
    if (link_ != link::own) {
        items_.clear();
        own_.clear();
    }
    gate_.on_session_closed(*this, close_reason_, std::move(served_), was_parked);
}

void connection::schedule_pump() {
    if (pump_posted_) return;
    pump_posted_ = true;
    // One batch per turn of our worker: everything queued meanwhile goes in one post.
    asio::post(worker_.executor(), [self = shared_from_this()] {
        self->pump_posted_ = false;
        self->pump();
    });
}

void connection::pump(bool replay) {
    if (link_ != link::relayed || !relay_ || items_.empty()) return;
    std::vector<out_item> items;
    std::string own;
    items.swap(items_);
    own.swap(own_);
    queued_bytes_ = queued_packets_ = 0;
    auto r = relay_;
    r->home().post_function([r, items = std::move(items), own = std::move(own), replay](worker&) mutable {
        r->relay_write(std::move(items), std::move(own), replay);
    });
}

connection::resume_verdict connection::try_resume(std::string_view secret, std::uint64_t received,
                                                  std::shared_ptr<connection> relay) {
    resume_verdict v;
    if (ended_ || final_ || kicking_ || !replay_) return v;  // unknown: closed or closing for good
    if (!constant_time_equal(secret, secret_)) {
        // Not the holder of the session: it is left alone (else guessing ids would end sessions).
        v.outcome = resume_outcome::bad_token;
        return v;
    }
    auto self = shared_from_this();
    if (!replay_->covers(received)) {
        // The client has the token but the replay cannot be complete: it logs in again, and the
        // old session ends now rather than after the grace.
        v.outcome = received > replay_->last() ? resume_outcome::ahead : resume_outcome::too_old;
        close(v.outcome == resume_outcome::ahead
                  ? "resume refused: the client counted more packets than were sent"
                  : "resume refused: the packets the client missed are gone");
        return v;
    }
    if (link_ == link::own) {
        // Half-open: the client is back before this side noticed its connection died.
        if (!stopped_) {
            stopped_ = true;
            close_reason_ = "taken over by a resumed connection";
            wake_.cancel();
            writer_waiting_ = false;
            shutdown_and_close();
        }
    } else if (link_ == link::relayed) {
        if (relay_) {
            auto old = relay_;
            old->home().post_function([old](worker&) { old->close("taken over by a resumed connection"); });
        }
    } else {
        gate_.on_session_unparked(*this);
    }
    link_ = link::relayed;
    live_ = false;  // until the client's ack: then the replay, then live output
    relay_ = std::move(relay);
    ++relay_epoch_;
    replay_from_ = received;
    timer_.cancel();
    items_.clear();
    own_.clear();
    queued_bytes_ = queued_packets_ = 0;
    secret_ = make_resume_secret();  // single use
    gate_.stats().resumes.add();
    v.outcome = resume_outcome::resumed;
    v.token = format_resume_token(id_, secret_);
    v.epoch = relay_epoch_;
    return v;
}

void connection::relay_acked(std::uint64_t epoch) {
    if (ended_ || link_ != link::relayed || epoch != relay_epoch_ || live_) return;
    const std::size_t n = replay_->for_each_after(replay_from_, [&](const replay_buffer::entry& e) {
        if (e.shared) {
            items_.push_back(out_item{e.shared, 0, 0, 1});
        } else {
            const std::size_t begin = own_.size();
            own_.append(e.own);
            items_.push_back(out_item{nullptr, begin, own_.size(), 1});
        }
    });
    gate_.stats().replayed.add(n);
    live_ = true;
    pump(true);
}

void connection::relay_data(std::uint64_t epoch, const std::string& body) {
    if (ended_ || final_ || link_ != link::relayed || epoch != relay_epoch_) return;
    handle_data(body);
}

void connection::relay_lost(std::uint64_t epoch, const std::string& end_reason) {
    if (ended_ || link_ != link::relayed || epoch != relay_epoch_) return;
    relay_.reset();
    if (!end_reason.empty()) {
        end_session(end_reason);
        return;
    }
    close_reason_ = "connection lost";
    park();
}

void connection::relay_write(std::vector<out_item> items, std::string own, bool replay) {
    if (stopped_ || kicking_) return;
    for (auto& it : items) {
        const std::size_t size = it.shared ? it.shared->size() : it.end - it.begin;
        if (replay) {
            // The replay may exceed the write queue's bounds (a session parked because its
            // queue filled always has more to replay than the queue holds); the replay
            // buffer's bounds bound it. Counted, so live output waits behind it.
            queued_bytes_ += size;
            ++queued_packets_;
            replay_bytes_ += size;
            ++replay_packets_;
        } else if (!reserve(size)) {
            return;  // closed: the session parks again
        }
        if (it.shared) {
            items_.push_back(std::move(it));
            continue;
        }
        const std::size_t begin = own_.size();
        own_.append(own, it.begin, it.end - it.begin);
        queue_owned(begin);
    }
    wake_writer();
}

awaitable<bool> connection::attempt_resume() {
    auto refused = [this](std::string_view reason) {
        gate_.count_resume_refused(reason);
        gate_.log().debug("session {}: resume refused ({}); a new session", id_, reason);
    };
    std::uint64_t sid = 0;
    std::string secret;
    if (resume_status_ != resume_request_status::valid ||
        !parse_resume_token(resume_request_.token, sid, secret)) {
        refused("malformed");
        co_return false;
    }
    node& n = gate_.node();
    const unsigned w = gate::worker_of(sid);
    if (w >= n.worker_count()) {
        refused("unknown");
        co_return false;
    }
    using answer = std::pair<resume_verdict, std::shared_ptr<connection>>;
    auto ask = [g = &gate_, w, sid, secret = std::move(secret), received = resume_request_.received,
                self = shared_from_this()]() -> awaitable<answer> {
        auto& sessions = g->shard_at(w).sessions;
        auto it = sessions.find(sid);
        if (it == sessions.end()) co_return answer{};
        auto p = it->second;
        auto v = p->try_resume(secret, received, self);
        const bool ok = v.outcome == resume_outcome::resumed;
        co_return answer{std::move(v), ok ? std::move(p) : nullptr};
    };
    auto [v, p] = co_await asio::co_spawn(n.worker_at(w).executor(), std::move(ask), asio::use_awaitable);
    if (v.outcome != resume_outcome::resumed) {
        refused(v.outcome == resume_outcome::bad_token ? "bad_token"
                : v.outcome == resume_outcome::too_old ? "too_old"
                : v.outcome == resume_outcome::ahead   ? "ahead"
                                                       : "unknown");
        co_return false;
    }
    // This connection carries session `sid` from now on; its own id is dropped.
    session_ = std::move(p);
    session_epoch_ = v.epoch;
    gate_.on_relay_started(*this);
    if (stopped_) co_return true;  // run()'s end tells the session
    const auto& o = gate_.options();
    const resume_grant grant{std::move(v.token), o.resume.grace, true};
    if (send_handshake_reply(handshake_reply(o.heartbeat, o.dictionary.get(), &grant)))
        state_ = state::awaiting_ack;
    gate_.log().debug("session {} resumed on connection {} ({})", sid, id_, remote_);
    co_return true;
}

}  // namespace hearth::session::detail

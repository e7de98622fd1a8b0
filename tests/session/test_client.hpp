#pragma once
// A blocking Pomelo-protocol test client over TCP or WebSocket, with deadlines on every wait
// (it runs its own io_context on the test thread; nothing sleeps).

#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "session/message.hpp"
#include "session/packet.hpp"

namespace hearth::testing {

struct owned_packet {
    session::packet_type type{};
    std::string body;
};

class test_client {
  public:
    enum class kind { tcp, ws };

    /// `receive_buffer` (TCP, bytes; 0 = the system's default) sets SO_RCVBUF before connecting,
    /// which bounds how much the server can send that the client has not read.
    test_client(kind k, std::uint16_t port, std::string ws_path = "/ws", int receive_buffer = 0)
        : kind_(k), socket_(io_), ws_(io_) {
        namespace asio = boost::asio;
        asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
        if (k == kind::tcp) {
            if (receive_buffer > 0) {
                socket_.open(ep.protocol());
                socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
            }
            socket_.connect(ep);
            socket_.set_option(asio::ip::tcp::no_delay(true));
        } else {
            ws_.next_layer().connect(ep);
            ws_.handshake("127.0.0.1:" + std::to_string(port), ws_path);
            ws_.binary(true);
        }
    }

    void send_raw(std::string_view bytes) {
        if (kind_ == kind::tcp)
            boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
        else
            ws_.write(boost::asio::buffer(bytes.data(), bytes.size()));
    }
    void send_packet(session::packet_type t, std::string_view body) {
        std::string out;
        (void)session::encode_packet(out, t, body);
        send_raw(out);
    }

    /// The next packet, or nullopt on EOF/error/deadline (closed() tells which).
    std::optional<owned_packet> next(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (!queue_.empty()) {
                auto p = std::move(queue_.front());
                queue_.pop_front();
                return p;
            }
            if (closed_ || !read_more(until)) return std::nullopt;
        }
    }

    /// Next packet that is not a heartbeat.
    std::optional<owned_packet> next_non_heartbeat(
        std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        for (;;) {
            auto p = next(timeout);
            if (!p || p->type != session::packet_type::heartbeat) return p;
        }
    }

    /// Handshake + ack; returns the handshake reply JSON.
    nlohmann::json handshake(const nlohmann::json& user = nlohmann::json::object()) {
        nlohmann::json hs;
        hs["sys"] = {{"type", "test"}, {"version", "0.0.1"}};
        hs["user"] = user;
        send_packet(session::packet_type::handshake, hs.dump());
        auto p = next_non_heartbeat();
        if (!p || p->type != session::packet_type::handshake) return nullptr;
        auto j = nlohmann::json::parse(p->body);
        if (j.value("code", 0) == 200) send_raw(session::handshake_ack_packet);
        return j;
    }

    void request(std::uint64_t id, std::string_view route, const nlohmann::json& payload) {
        session::message m;
        m.type = session::message_type::request;
        m.id = id;
        m.route = route;
        const std::string body = payload.dump();
        m.payload = body;
        std::string out;
        (void)session::encode_data_packet(out, m);
        send_raw(out);
    }
    void notify(std::string_view route, const nlohmann::json& payload) {
        session::message m;
        m.type = session::message_type::notify;
        m.route = route;
        const std::string body = payload.dump();
        m.payload = body;
        std::string out;
        (void)session::encode_data_packet(out, m);
        send_raw(out);
    }

    struct response {
        std::uint64_t id = 0;
        bool error = false;
        nlohmann::json body;
    };
    struct push {
        std::string route;
        nlohmann::json body;
    };

    /// Waits for the next Response (pushes seen meanwhile are kept for next_push()).
    std::optional<response> next_response(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        for (;;) {
            auto p = next(timeout);
            if (!p) return std::nullopt;
            if (p->type != session::packet_type::data) continue;
            session::message m;
            if (session::decode_message(p->body, nullptr, m)) return std::nullopt;
            if (m.type == session::message_type::push) {
                pushes_.push_back(push{std::string(m.route), nlohmann::json::parse(m.payload)});
                continue;
            }
            return response{m.id, m.error, nlohmann::json::parse(m.payload)};
        }
    }
    std::optional<push> next_push(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        if (!pushes_.empty()) {
            auto p = std::move(pushes_.front());
            pushes_.pop_front();
            return p;
        }
        for (;;) {
            auto p = next(timeout);
            if (!p) return std::nullopt;
            if (p->type == session::packet_type::kick) {
                kick_ = p->body;
                return std::nullopt;
            }
            if (p->type != session::packet_type::data) continue;
            session::message m;
            if (session::decode_message(p->body, nullptr, m)) return std::nullopt;
            if (m.type == session::message_type::push)
                return push{std::string(m.route), nlohmann::json::parse(m.payload)};
        }
    }
    /// True once the server closed the connection (EOF or error) within the timeout.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (!closed_) {
            queue_.clear();
            if (!read_more(until) && !closed_) return false;
        }
        return true;
    }
    bool closed() const noexcept { return closed_; }
    /// The WebSocket close frame the server sent (code 0: none seen, e.g. a bare TCP drop).
    std::uint16_t close_code() const noexcept { return close_code_; }
    const std::string& close_reason() const noexcept { return close_reason_; }
    /// Sends a WebSocket ping frame (WebSocket clients only).
    void ping() { ws_.ping({}); }
    /// The socket's descriptor (e.g. to dup() for a second writer thread).
    int native_handle() {
        return kind_ == kind::tcp ? socket_.native_handle() : ws_.next_layer().native_handle();
    }
    const std::string& kick_body() const noexcept { return kick_; }
    void close() {
        boost::system::error_code ec;
        auto& s = kind_ == kind::tcp ? socket_ : ws_.next_layer();
        s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        s.close(ec);
    }

  private:
    // Reads once (up to the deadline); false on deadline or close. A read still pending at the
    // deadline stays pending for the next call (cancelling it would fail a WebSocket stream).
    bool read_more(std::chrono::steady_clock::time_point until) {
        if (!reading_) {
            reading_ = true;
            read_done_ = false;
            read_buf_ = decoder_.prepare(65536);
            auto handler = [this](boost::system::error_code e, std::size_t k) {
                read_ec_ = e;
                read_n_ = k;
                read_done_ = true;
            };
            if (kind_ == kind::tcp)
                socket_.async_read_some(boost::asio::buffer(read_buf_, 65536), handler);
            else
                ws_.async_read_some(boost::asio::buffer(read_buf_, 65536), handler);
        }
        io_.restart();
        while (!read_done_ && std::chrono::steady_clock::now() < until)
            if (io_.run_one_until(until) == 0) break;
        if (!read_done_) return false;
        reading_ = false;
        if (read_ec_) {
            closed_ = true;
            if (kind_ == kind::ws && read_ec_ == boost::beast::websocket::error::closed) {
                close_code_ = ws_.reason().code;
                close_reason_ = std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
            }
            return false;
        }
        decoder_.commit(read_n_);
        session::packet p;
        std::error_code perr;
        while (decoder_.next(p, perr)) {
            if (p.type == session::packet_type::kick) kick_ = std::string(p.body);
            queue_.push_back(owned_packet{p.type, std::string(p.body)});
        }
        return true;
    }

    kind kind_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::socket socket_;
    boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
    session::packet_decoder decoder_{1 << 24};
    std::deque<owned_packet> queue_;
    std::deque<push> pushes_;
    std::string kick_;
    bool closed_ = false;
    bool reading_ = false;  // an async read is pending (it may outlive one read_more call)
    bool read_done_ = false;
    boost::system::error_code read_ec_;
    std::size_t read_n_ = 0;
    char* read_buf_ = nullptr;
    std::uint16_t close_code_ = 0;
    std::string close_reason_;
};

}  // namespace hearth::testing

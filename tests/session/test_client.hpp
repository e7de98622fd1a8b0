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

    test_client(kind k, std::uint16_t port, std::string ws_path = "/ws") : kind_(k), socket_(io_), ws_(io_) {
        namespace asio = boost::asio;
        asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
        if (k == kind::tcp) {
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
    const std::string& kick_body() const noexcept { return kick_; }
    void close() {
        boost::system::error_code ec;
        auto& s = kind_ == kind::tcp ? socket_ : ws_.next_layer();
        s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        s.close(ec);
    }

  private:
    // Reads once (up to the deadline); false on deadline or close.
    bool read_more(std::chrono::steady_clock::time_point until) {
        bool done = false;
        boost::system::error_code ec;
        std::size_t n = 0;
        char* buf = decoder_.prepare(65536);
        auto handler = [&](boost::system::error_code e, std::size_t k) {
            ec = e;
            n = k;
            done = true;
        };
        if (kind_ == kind::tcp)
            socket_.async_read_some(boost::asio::buffer(buf, 65536), handler);
        else
            ws_.async_read_some(boost::asio::buffer(buf, 65536), handler);
        io_.restart();
        io_.run_until(until);
        if (!done) {
            auto& s = kind_ == kind::tcp ? socket_ : ws_.next_layer();
            s.cancel();
            io_.restart();
            io_.run();
            if (!ec || ec == boost::asio::error::operation_aborted) return false;
        }
        if (ec) {
            closed_ = true;
            return false;
        }
        decoder_.commit(n);
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
};

}  // namespace hearth::testing

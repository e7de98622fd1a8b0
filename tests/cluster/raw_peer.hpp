#pragma once
// A hand-driven cluster connector for tests that play a misbehaving or hand-written peer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "cluster/config.hpp"
#include "cluster/detail/clock_sync.hpp"
#include "cluster/frame.hpp"
#include "cluster/handshake.hpp"

namespace hearth::cluster::testing {

/// A hand-driven connector with blocking sockets: the test plays a misbehaving peer.
class raw_peer {
  public:
    explicit raw_peer(std::uint16_t port) : socket_(ctx_) {
        socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }
    void write(std::string_view bytes) {
        boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
    }
    /// The next frame, or nullopt on EOF/error (views valid until the next read).
    std::optional<frame> read() {
        for (;;) {
            auto f = decoder_.next();
            if (!f) return std::nullopt;
            if (*f) return std::move(**f);
            auto buf = decoder_.prepare(4096);
            boost::system::error_code ec;
            auto n = socket_.read_some(boost::asio::buffer(buf.data(), buf.size()), ec);
            decoder_.commit(n);
            if (ec) return std::nullopt;
        }
    }
    /// Runs the connector side of the handshake; returns the acceptor's incarnation or the
    /// reject code.
    std::variant<std::uint64_t, hearth::cluster::errc> handshake(const cluster_config& cfg,
                                                                 const std::string& me,
                                                                 const std::string& target) {
        auto c = read();
        REQUIRE(c);
        const auto challenge = std::get<challenge_frame>(*c).nonce;
        const auto challenge_time = std::get<challenge_frame>(*c).time;
        hello_frame h;
        h.codec = cfg.codec;
        h.max_frame = static_cast<std::uint32_t>(cfg.max_frame);
        h.heartbeat_ms = 1000;
        h.sender_incarnation = 77;
        // Same process, same clock: the stamps answer the challenge as a real connector's do.
        const auto now = detail::wire_time(std::chrono::steady_clock::now());
        h.stamps = time_stamps{challenge_time, now, now};
        h.nonce = make_nonce();
        h.cluster = cfg.cluster;
        h.sender_node = me;
        h.target_node = target;
        h.proof = hello_proof(cfg.secret, challenge, h);
        std::string out;
        frame hf = h;
        REQUIRE(encode(hf, out));
        write(out);
        auto answer = read();
        REQUIRE(answer);
        if (auto* r = std::get_if<reject_frame>(&*answer)) return r->code;
        return std::get<welcome_frame>(*answer).node_incarnation;
    }
    /// Writes one echo.echo call to `target` at `incarnation`.
    void send_call(std::string_view target, std::uint64_t incarnation, std::uint64_t id) {
        call_frame c;
        c.target_node = target;
        c.target_incarnation = incarnation;
        c.target_service = "echo";
        c.route = "echo.echo";
        c.payload = R"({"text":"hi","n":1})";
        c.call_id = id;
        c.reply_to_worker = 0;
        std::string out;
        REQUIRE(encode(c, out));
        write(out);
    }
    bool closed_by_peer() {
        for (;;) {
            auto f = read();
            if (!f) return true;
        }
    }

  private:
    boost::asio::io_context ctx_;
    boost::asio::ip::tcp::socket socket_;
    frame_decoder decoder_;
};

}  // namespace hearth::cluster::testing

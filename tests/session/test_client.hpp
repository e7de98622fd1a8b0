#pragma once
// A blocking Pomelo-protocol test client over TCP or WebSocket, each also over TLS, with
// deadlines on every wait (it runs its own io_context on the test thread; nothing sleeps).
// Only tests include it, so it may pull in OpenSSL (asio::ssl).

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include "session/message.hpp"
#include "session/packet.hpp"

namespace hearth::testing {

struct owned_packet {
    session::packet_type type{};
    std::string body;
};

/// How a TLS or wss test client verifies the gate and what it presents.
struct tls_client_options {
    std::string ca_file;           ///< PEM: the CA the server's certificate must chain to
    std::string certificate_file;  ///< PEM: a client certificate (empty: none)
    std::string private_key_file;  ///< PEM: its key
    /// Sent as SNI and checked against the server certificate's names.
    std::string server_name = "localhost";
    bool tls12_only = false;  ///< offer TLS 1.2 at most (else OpenSSL's default: 1.3)
};

class test_client {
  public:
    enum class kind { tcp, ws, tls, wss };

    /// A plain TCP or WebSocket client. `receive_buffer` (bytes; 0 = the system's default) sets
    /// SO_RCVBUF before connecting, which bounds how much the server can send that the client
    /// has not read.
    test_client(kind k, std::uint16_t port, std::string ws_path = "/ws", int receive_buffer = 0)
        : test_client(k, port, tls_client_options{}, std::move(ws_path), receive_buffer) {}

    /// Any kind; `tls` is used by kind::tls and kind::wss. Throws (boost::system::system_error)
    /// when the connection, the TLS handshake or the WebSocket upgrade fails.
    test_client(kind k, std::uint16_t port, const tls_client_options& tls, std::string ws_path = "/ws",
                int receive_buffer = 0)
        : kind_(k), socket_(io_), ws_(io_) {
        namespace asio = boost::asio;
        namespace ssl = boost::asio::ssl;
        asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
        if (is_tls()) {
            if (tls.ca_file.empty()) throw std::invalid_argument("test_client: a TLS client needs a CA file");
            ssl_ = std::make_unique<ssl::context>(ssl::context::tls_client);
            ssl_->set_verify_mode(ssl::verify_peer);
            ssl_->load_verify_file(tls.ca_file);
            if (tls.tls12_only) ssl_->set_options(ssl::context::no_tlsv1_3);
            if (!tls.certificate_file.empty()) {
                ssl_->use_certificate_chain_file(tls.certificate_file);
                ssl_->use_private_key_file(tls.private_key_file, ssl::context::pem);
            }
            if (k == kind::tls)
                tls_ = std::make_unique<tls_stream>(io_, *ssl_);
            else
                wss_ = std::make_unique<wss_stream>(io_, *ssl_);
        }
        auto& socket = lowest_layer();
        if (receive_buffer > 0) {
            socket.open(ep.protocol());
            socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
        }
        socket.connect(ep);
        socket.set_option(asio::ip::tcp::no_delay(true));
        if (is_tls()) {
            auto& s = ssl_layer();
            // SNI, and the name the server's certificate must carry.
            if (SSL_set_tlsext_host_name(s.native_handle(), tls.server_name.c_str()) != 1)
                throw std::runtime_error("test_client: cannot set the TLS server name");
            s.set_verify_callback(ssl::host_name_verification(tls.server_name));
            s.handshake(ssl::stream_base::client);
        }
        if (k == kind::ws) {
            ws_.handshake("127.0.0.1:" + std::to_string(port), ws_path);
            ws_.binary(true);
        } else if (k == kind::wss) {
            wss_->handshake(tls.server_name + ":" + std::to_string(port), ws_path);
            wss_->binary(true);
        }
    }

    void send_raw(std::string_view bytes) {
        const auto buf = boost::asio::buffer(bytes.data(), bytes.size());
        switch (kind_) {
            case kind::tcp:
                boost::asio::write(socket_, buf);
                break;
            case kind::ws:
                ws_.write(buf);
                break;
            // A TLS stream may have a read pending (read_more leaves it across calls): write
            // asynchronously beside it (one read and one write at a time is what asio::ssl and
            // Beast allow), running the io_context until the write is done.
            case kind::tls:
                run_write([&](auto handler) { boost::asio::async_write(*tls_, buf, std::move(handler)); });
                break;
            case kind::wss:
                run_write([&](auto handler) { wss_->async_write(buf, std::move(handler)); });
                break;
        }
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

    /// Handshake + ack; returns the handshake reply JSON. `sys_extra`'s keys are added to sys
    /// (e.g. {"resume": {...}}).
    nlohmann::json handshake(const nlohmann::json& user = nlohmann::json::object(),
                             const nlohmann::json& sys_extra = nullptr) {
        nlohmann::json hs;
        hs["sys"] = {{"type", "test"}, {"version", "0.0.1"}};
        if (sys_extra.is_object())
            for (const auto& [k, v] : sys_extra.items()) hs["sys"][k] = v;
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
    /// How the stream ended once closed(): asio::error::eof for a clean end (for TLS: the
    /// server's close_notify; asio::ssl::error::stream_truncated is a TCP close without it),
    /// websocket::error::closed after a close frame, else the error.
    const boost::system::error_code& close_error() const noexcept { return read_ec_; }
    /// Sends a WebSocket ping frame (WebSocket clients only).
    void ping() {
        if (kind_ == kind::wss)
            wss_->ping({});
        else
            ws_.ping({});
    }
    /// The socket's descriptor (e.g. to dup() for a second writer thread).
    /// WebSocket only: a close frame with 1000 (normal closure), the client leaving on purpose;
    /// waits up to 5 s for the close handshake.
    void logout() {
        if (kind_ != kind::ws) throw std::logic_error("test_client: logout is a ws close frame");
        bool done = false;
        ws_.async_close(boost::beast::websocket::close_code::normal,
                        [&](boost::system::error_code) { done = true; });
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        io_.restart();
        while (!done && std::chrono::steady_clock::now() < until)
            if (io_.run_one_until(until) == 0) break;
        closed_ = true;
    }
    int native_handle() { return lowest_layer().native_handle(); }
    const std::string& kick_body() const noexcept { return kick_; }
    void close() {
        boost::system::error_code ec;
        auto& s = lowest_layer();
        s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        s.close(ec);
    }

    /// TLS clients: the SHA-256 of the certificate the server presented, upper-case hex bytes
    /// joined by ':' (tls_context::fingerprint_sha256()'s form).
    std::string peer_certificate_sha256() {
        if (!is_tls()) throw std::logic_error("test_client: not a TLS client");
        X509* cert = SSL_get1_peer_certificate(ssl_layer().native_handle());
        if (!cert) return {};
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        const int ok = X509_digest(cert, EVP_sha256(), md, &size);
        X509_free(cert);
        if (ok != 1) return {};
        static constexpr char hex[] = "0123456789ABCDEF";
        std::string out;
        for (unsigned int i = 0; i < size; ++i) {
            if (i) out += ':';
            out += hex[md[i] >> 4];
            out += hex[md[i] & 15];
        }
        return out;
    }
    /// TLS clients: the protocol version negotiated ("TLSv1.3", "TLSv1.2").
    std::string tls_version() { return SSL_get_version(ssl_layer().native_handle()); }

  private:
    using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
    using wss_stream = boost::beast::websocket::stream<tls_stream>;

    bool is_tls() const noexcept { return kind_ == kind::tls || kind_ == kind::wss; }
    boost::asio::ip::tcp::socket& lowest_layer() {
        switch (kind_) {
            case kind::tcp:
                return socket_;
            case kind::ws:
                return ws_.next_layer();
            case kind::tls:
                return tls_->next_layer();
            case kind::wss:
                break;
        }
        return wss_->next_layer().next_layer();
    }
    tls_stream& ssl_layer() { return kind_ == kind::tls ? *tls_ : wss_->next_layer(); }

    // Starts a write with start(handler) and runs the io_context until it completes (a read
    // that completes meanwhile is kept for read_more). Throws like the synchronous writes.
    template <class Start>
    void run_write(Start start) {
        bool done = false;
        boost::system::error_code ec;
        start([&](boost::system::error_code e, std::size_t) {
            ec = e;
            done = true;
        });
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        io_.restart();
        while (!done && std::chrono::steady_clock::now() < until)
            if (io_.run_one_until(until) == 0) break;
        if (!done) throw std::runtime_error("test_client: a write did not complete within 30 s");
        if (ec) throw boost::system::system_error(ec, "test_client write");
    }

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
            const auto buf = boost::asio::buffer(read_buf_, 65536);
            switch (kind_) {
                case kind::tcp:
                    socket_.async_read_some(buf, handler);
                    break;
                case kind::ws:
                    ws_.async_read_some(buf, handler);
                    break;
                case kind::tls:
                    tls_->async_read_some(buf, handler);
                    break;
                case kind::wss:
                    wss_->async_read_some(buf, handler);
                    break;
            }
        }
        io_.restart();
        while (!read_done_ && std::chrono::steady_clock::now() < until)
            if (io_.run_one_until(until) == 0) break;
        if (!read_done_) return false;
        reading_ = false;
        if (read_ec_) {
            closed_ = true;
            if (read_ec_ == boost::beast::websocket::error::closed &&
                (kind_ == kind::ws || kind_ == kind::wss)) {
                const auto& r = kind_ == kind::ws ? ws_.reason() : wss_->reason();
                close_code_ = r.code;
                close_reason_ = std::string(r.reason.data(), r.reason.size());
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
    // TLS kinds only; the streams go before the context they were made from.
    std::unique_ptr<boost::asio::ssl::context> ssl_;
    std::unique_ptr<tls_stream> tls_;
    std::unique_ptr<wss_stream> wss_;
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

/// "tcp", "ws", "tls" or "wss", for test messages.
inline const char* kind_name(test_client::kind k) {
    switch (k) {
        case test_client::kind::tcp:
            return "tcp";
        case test_client::kind::ws:
            return "ws";
        case test_client::kind::tls:
            return "tls";
        case test_client::kind::wss:
            return "wss";
    }
    return "?";
}

}  // namespace hearth::testing

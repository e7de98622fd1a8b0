#include "tools/cli/client_session.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "session/compression.hpp"
#include "session/message.hpp"
#include "session/packet.hpp"
#include "session/route_dictionary.hpp"
#include "tools/cli/client_transport.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/endpoint_url.hpp"
#include "tools/cli/event_printer.hpp"
#include "tools/cli/exit_status.hpp"

namespace hearth::tools {
namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A server may send packets up to the 24-bit limit; a compressed payload may inflate to as much.
constexpr std::size_t max_inflated = session::max_packet_body_limit;
// Pushes kept for wait-push; older ones are forgotten (they were printed).
constexpr std::size_t max_unclaimed_pushes = 100000;
// The longest command line accepted from standard input.
constexpr std::size_t max_line = 1024 * 1024;

std::string seconds_text(std::chrono::milliseconds d) {
    std::ostringstream s;
    s << static_cast<double>(d.count()) / 1000.0;
    return s.str();
}

class client_session {
  public:
    client_session(asio::io_context& io, const connect_options& options, endpoint_url url, bool interactive)
        : io_(io),
          options_(options),
          url_(std::move(url)),
          interactive_(interactive),
          printer_(options.json_lines || !interactive, interactive ? "hearth> " : ""),
          decoder_(session::max_packet_body_limit),
          state_signal_(io),
          write_signal_(io),
          heartbeat_timer_(io),
          stdin_(io) {}

    ~client_session() {
        if (stdin_.is_open()) stdin_.release();  // never close the process's standard input
        if (stdin_flags_ >= 0) ::fcntl(STDIN_FILENO, F_SETFL, stdin_flags_);
    }

    /// Loads the commands of a script file; false (and a message on stderr) when unreadable.
    bool load_script(const std::string& path) {
        std::ifstream in(path);
        if (!in) {
            std::cerr << "hearth-cli: cannot read the script " << path << "\n";
            return false;
        }
        for (std::string line; std::getline(in, line);) input_.push_back(line);
        input_eof_ = true;
        return true;
    }

    /// Standard input: read asynchronously when it is a pipe or a terminal, all at once when it
    /// is a regular file or cannot be polled (epoll refuses regular files and /dev/null).
    void attach_stdin() {
        struct stat st {};
        if (::fstat(STDIN_FILENO, &st) == 0 && !S_ISREG(st.st_mode)) {
            const int flags = ::fcntl(STDIN_FILENO, F_GETFL);
            boost::system::error_code ec;
            stdin_.assign(STDIN_FILENO, ec);
            if (!ec) {
                stdin_flags_ = flags;  // Asio makes the descriptor non-blocking; restored at exit
                asio::co_spawn(io_, read_stdin(), [this](std::exception_ptr e) { on_exception(e, "input"); });
                return;
            }
            stdin_.release();
        }
        for (std::string line; std::getline(std::cin, line);) input_.push_back(line);
        input_eof_ = true;
    }

    asio::awaitable<void> run() {
        transport_ = make_client_transport(url_, io_.get_executor());
        if (auto ec = co_await transport_->connect(url_, options_.timeout)) {
            fail(exit_status::failure, "cannot connect to " + options_.url + ": " + ec.message());
            co_await finish();  // also stops the standard input reader
            co_return;
        }
        asio::co_spawn(io_, read_loop(), [this](std::exception_ptr e) { on_exception(e, "reader"); });
        asio::co_spawn(io_, write_loop(), [this](std::exception_ptr e) { on_exception(e, "writer"); });

        nlohmann::json hello = {{"sys", {{"type", "hearth-cli"}, {"version", HEARTH_CLI_VERSION}}},
                                {"user", options_.user}};
        if (!options_.resume_token.empty())
            hello["sys"]["resume"] = {{"token", options_.resume_token}, {"received", options_.received}};
        received_ = options_.received;
        std::string packet;
        if (auto ec = session::encode_packet(packet, session::packet_type::handshake, hello.dump())) {
            // Only a --user document over the protocol's 16 MiB body limit gets here.
            fail(exit_status::usage, "cannot send the handshake: " + ec.message() + " (--user)");
        } else {
            send(std::move(packet));
        }

        const auto deadline = clock::now() + options_.timeout;
        while (!handshake_done_ && !ended_ && !closed_ && clock::now() < deadline)
            co_await wait_state(deadline);
        if (!ended_ && !handshake_done_) {
            if (closed_)
                fail(exit_status::failure,
                     "the server closed the connection during the handshake" + closed_why());
            else
                fail(exit_status::failure,
                     "no handshake reply within " + seconds_text(options_.timeout) + " s (--timeout)");
        }
        if (!ended_) {
            send(std::string(session::handshake_ack_packet));
            printer_.connected(options_.url, static_cast<double>(heartbeat_.count()) / 1000.0,
                               dict_.empty() ? nlohmann::json::object() : dict_.to_json());
            if (heartbeat_.count() > 0)
                asio::co_spawn(io_, heartbeat_loop(),
                               [this](std::exception_ptr e) { on_exception(e, "heartbeat"); });
            co_await command_loop();
            final_status();
        }
        co_await finish();
    }

    int status() const noexcept { return status_; }

  private:
    // ---- state changes -------------------------------------------------------------------------

    void notify() { state_signal_.cancel(); }

    // Waits until notify() or the deadline (the caller rechecks its condition).
    asio::awaitable<void> wait_state(clock::time_point deadline) {
        state_signal_.expires_at(deadline);
        co_await state_signal_.async_wait(use_tuple);
    }

    // Ends the session with `status`; the first failure is the one reported.
    void fail(int status, const std::string& message) {
        if (ended_) return;
        ended_ = true;
        status_ = status;
        std::cerr << "hearth-cli: " << message << "\n";
        notify();
        write_signal_.cancel();
    }

    void on_exception(std::exception_ptr e, const char* what) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            fail(exit_status::failure, std::string("internal error in the ") + what + ": " + ex.what());
        } catch (...) {
            fail(exit_status::failure, std::string("internal error in the ") + what);
        }
        if (transport_) transport_->abort();
    }

    std::string closed_why() const {
        std::string why = transport_ ? transport_->close_reason() : std::string();
        return why.empty() ? std::string() : " (" + why + ")";
    }

    void send(std::string packet) {
        out_.push_back(std::move(packet));
        write_signal_.cancel();
    }

    // ---- the connection ------------------------------------------------------------------------

    asio::awaitable<void> read_loop() {
        for (;;) {
            std::string_view chunk;
            const auto ec = co_await transport_->read(chunk);
            if (!chunk.empty()) {
                last_inbound_ = clock::now();
                const auto perr = decoder_.feed(chunk, [this](const session::packet& p) { on_packet(p); });
                if (perr) {
                    fail(exit_status::failure, "protocol error from the server: " + perr.message());
                    transport_->abort();
                    co_return;
                }
                if (ended_) {
                    transport_->abort();
                    co_return;
                }
            }
            if (ec) {
                if (!closing_ && !ended_) {
                    closed_ = true;
                    auto why = transport_->close_reason();
                    if (why.empty())
                        why = ec == std::error_code(boost::system::error_code(asio::error::eof))
                                  ? "the server closed the connection"
                                  : ec.message();
                    print_resume();
                    printer_.closed(why);
                    notify();
                }
                co_return;
            }
        }
    }

    asio::awaitable<void> write_loop() {
        for (;;) {
            while (out_.empty() && !ended_ && !closing_) {
                write_signal_.expires_at(clock::time_point::max());
                co_await write_signal_.async_wait(use_tuple);
            }
            if (out_.empty() || ended_) break;
            const auto ec = co_await transport_->write(out_.front());
            if (ec) {
                if (!closing_ && !ended_ && !closed_) {
                    closed_ = true;
                    print_resume();
                    printer_.closed(ec.message());
                }
                break;
            }
            out_.pop_front();
            notify();  // finish() waits for the queue to drain
        }
        writer_done_ = true;
        notify();
    }

    // Sends a Heartbeat every interval on its own timer (as Pitaya's clients do): the gate hears
    // from the client at least once per interval however it counts silence, and answers it.
    // A server that sends nothing for three intervals is considered gone.
    asio::awaitable<void> heartbeat_loop() {
        while (!ended_ && !closed_ && !closing_) {
            heartbeat_timer_.expires_after(heartbeat_);
            auto [ec] = co_await heartbeat_timer_.async_wait(use_tuple);
            if (ec || ended_ || closed_ || closing_) break;
            if (clock::now() - last_inbound_ > 3 * heartbeat_) {
                fail(exit_status::failure,
                     "the server sent nothing for " + seconds_text(3 * heartbeat_) + " s (3 heartbeats)");
                transport_->abort();
                break;
            }
            send(std::string(session::heartbeat_packet));
        }
    }

    void on_packet(const session::packet& p) {
        if (ended_) return;
        switch (p.type) {
            case session::packet_type::handshake:
                on_handshake(p.body);
                break;
            case session::packet_type::heartbeat:
                break;  // liveness only; our own timer sends ours
            case session::packet_type::data:
                if (!handshake_done_) {
                    fail(exit_status::failure, "protocol error: a Data packet before the handshake reply");
                    return;
                }
                on_data(p.body);
                break;
            case session::packet_type::kick: {
                auto body = payload_json(p.body);
                std::string reason;
                if (body.is_object() && body.contains("reason") && body["reason"].is_string())
                    reason = body["reason"].get<std::string>();
                else
                    reason = std::string(p.body);
                kicked_ = true;
                kick_reason_ = reason;
                printer_.kick(reason);
                notify();
                break;
            }
            default:
                fail(exit_status::failure, "protocol error: the server sent a " +
                                               std::string(session::to_string(p.type)) + " packet");
        }
    }

    void on_handshake(std::string_view body) {
        if (handshake_done_) {
            fail(exit_status::failure, "protocol error: a second handshake reply");
            return;
        }
        auto j = payload_json(body);
        if (!j.is_object() || !j.contains("code") || !j["code"].is_number_integer()) {
            fail(exit_status::failure, "protocol error: the handshake reply is not {\"code\":...}: " +
                                           std::string(body.substr(0, 200)));
            return;
        }
        if (j["code"].get<long long>() != 200) {
            std::string message = j.contains("message") && j["message"].is_string()
                                      ? j["message"].get<std::string>()
                                      : std::string(body.substr(0, 200));
            fail(exit_status::failure,
                 "the server refused the handshake (code " + j["code"].dump() + "): " + message);
            return;
        }
        const auto sys = j.value("sys", nlohmann::json::object());
        if (sys.contains("heartbeat") && sys["heartbeat"].is_number()) {
            const double s = sys["heartbeat"].get<double>();
            if (s > 0 && s < 86400) heartbeat_ = std::chrono::milliseconds(static_cast<long long>(s * 1000));
        }
        if (sys.contains("dict")) {
            if (auto ec = dict_.assign(sys["dict"])) {
                fail(exit_status::failure,
                     "protocol error: the handshake's route dictionary: " + ec.message());
                return;
            }
        }
        if (auto r = sys.find("resume"); r != sys.end() && r->is_object() && (*r)["token"].is_string()) {
            resume_token_ = (*r)["token"].get<std::string>();
            resume_grace_ = (*r).value("grace", 0.0);
            resumed_ = (*r).value("resumed", false);
            if (!resumed_) received_ = 0;  // a new session counts from 0
            printer_.resume(resume_token_, resume_grace_, resumed_, received_);
        }
        handshake_done_ = true;
        notify();
    }

    // When the connection ends: how to get the session back (the count so far).
    void print_resume() {
        if (resume_token_.empty() || resume_printed_) return;
        resume_printed_ = true;
        printer_.resume(resume_token_, resume_grace_, resumed_, received_);
    }

    void on_data(std::string_view body) {
        session::message m;
        if (auto ec = session::decode_message(body, dict_.empty() ? nullptr : &dict_, m)) {
            fail(exit_status::failure, "protocol error in a message from the server: " + ec.message());
            return;
        }
        std::string_view payload = m.payload;
        std::string inflated;
        if (m.zlib) {
            if (auto ec = inflater_.inflate(m.payload, inflated, max_inflated)) {
                fail(exit_status::failure, "protocol error: a compressed payload: " + ec.message());
                return;
            }
            payload = inflated;
        }
        switch (m.type) {
            case session::message_type::response: {
                std::string route;
                if (auto it = pending_.find(m.id); it != pending_.end()) {
                    route = std::move(it->second);
                    pending_.erase(it);
                }
                ++received_;
                printer_.response(route, m.id, !m.error, payload);
                break;
            }
            case session::message_type::push:
                ++received_;
                printer_.push(m.route, payload);
                unclaimed_pushes_.emplace_back(m.route);
                if (unclaimed_pushes_.size() > max_unclaimed_pushes) unclaimed_pushes_.pop_front();
                break;
            default:
                fail(exit_status::failure, "protocol error: the server sent a " +
                                               std::string(session::to_string(m.type)) + " message");
                return;
        }
        notify();
    }

    // ---- input and commands --------------------------------------------------------------------

    asio::awaitable<void> read_stdin() {
        std::string buf;
        for (;;) {
            auto [ec, n] =
                co_await asio::async_read_until(stdin_, asio::dynamic_buffer(buf, max_line), '\n', use_tuple);
            if (ec) {
                if (ec == asio::error::operation_aborted) co_return;
                if (ec == asio::error::not_found) {
                    fail(exit_status::usage, "an input line is longer than 1 MiB");
                } else if (!buf.empty()) {
                    input_.push_back(buf);  // the last line had no newline
                }
                input_eof_ = true;
                notify();
                co_return;
            }
            input_.push_back(buf.substr(0, n - 1));
            buf.erase(0, n);
            notify();
        }
    }

    asio::awaitable<void> command_loop() {
        bool prompted = false;
        for (;;) {
            if (ended_) co_return;
            if (input_.empty()) {
                if (input_eof_ || closed_) co_return;
                if (interactive_ && !prompted) {
                    printer_.prompt();
                    prompted = true;
                }
                co_await wait_state(clock::time_point::max());
                continue;
            }
            const std::string line = std::move(input_.front());
            input_.pop_front();
            if (prompted) printer_.prompt_taken();
            prompted = false;

            std::string error;
            const auto cmd = parse_command(line, error);
            if (!cmd) {
                if (interactive_)
                    printer_.note(error);
                else
                    fail(exit_status::usage, "script line '" + line + "': " + error);
                continue;
            }
            switch (cmd->what) {
                case command::kind::none:
                    break;
                case command::kind::help:
                    printer_.note(command_help());
                    break;
                case command::kind::quit:
                    co_return;
                case command::kind::request:
                case command::kind::notify:
                    co_await send_message(*cmd);
                    break;
                case command::kind::wait_push:
                    co_await wait_push(cmd->route, cmd->timeout.value_or(options_.timeout));
                    break;
                case command::kind::wait_kick:
                    co_await wait_kick(cmd->timeout.value_or(options_.timeout));
                    break;
            }
        }
    }

    // A failure of a waiting command: fatal in a script, a note at the prompt.
    void command_failed(int status, const std::string& message) {
        if (interactive_)
            printer_.note(message);
        else
            fail(status, message);
    }

    void connection_gone(const std::string& what) {
        if (kicked_)
            fail(exit_status::kicked, what + ": the server kicked this client (" + kick_reason_ + ")");
        else
            fail(exit_status::failure, what + ": the server closed the connection" + closed_why());
    }

    asio::awaitable<void> send_message(const command& cmd) {
        if (closed_) {
            connection_gone("cannot send " + cmd.route);
            co_return;
        }
        session::message m;
        m.type = cmd.what == command::kind::request ? session::message_type::request
                                                    : session::message_type::notify;
        m.route = cmd.route;
        m.payload = cmd.payload;
        if (m.type == session::message_type::request) m.id = next_id_++;
        std::string packet;
        if (auto ec = session::encode_data_packet(packet, m, dict_.empty() ? nullptr : &dict_)) {
            command_failed(exit_status::usage, "cannot send " + cmd.route + ": " + ec.message());
            co_return;
        }
        send(std::move(packet));
        if (m.type != session::message_type::request) co_return;
        const auto id = m.id;
        pending_[id] = cmd.route;
        if (interactive_) co_return;  // the response is printed when it comes
        const auto deadline = clock::now() + options_.timeout;
        while (pending_.contains(id) && !ended_ && !closed_ && clock::now() < deadline)
            co_await wait_state(deadline);
        if (ended_ || !pending_.contains(id)) co_return;
        if (closed_)
            connection_gone("no response to " + cmd.route + " #" + std::to_string(id));
        else
            command_failed(exit_status::timeout, "no response to " + cmd.route + " #" + std::to_string(id) +
                                                     " within " + seconds_text(options_.timeout) +
                                                     " s (--timeout)");
    }

    bool claim_push(const std::string& route) {
        for (auto it = unclaimed_pushes_.begin(); it != unclaimed_pushes_.end(); ++it) {
            if (*it == route) {
                unclaimed_pushes_.erase(it);
                return true;
            }
        }
        return false;
    }

    asio::awaitable<void> wait_push(const std::string& route, std::chrono::milliseconds timeout) {
        const auto deadline = clock::now() + timeout;
        for (;;) {
            if (claim_push(route) || ended_) co_return;
            if (closed_) {
                connection_gone("no push " + route);
                co_return;
            }
            if (clock::now() >= deadline) break;
            co_await wait_state(deadline);
        }
        command_failed(exit_status::timeout, "no push " + route + " within " + seconds_text(timeout) + " s");
    }

    asio::awaitable<void> wait_kick(std::chrono::milliseconds timeout) {
        const auto deadline = clock::now() + timeout;
        while (!kicked_ && !ended_ && !closed_ && clock::now() < deadline) co_await wait_state(deadline);
        if (ended_) co_return;
        if (kicked_) {
            kick_claimed_ = true;
            co_return;
        }
        if (closed_)
            fail(exit_status::failure, "the server closed the connection without a kick" + closed_why());
        else
            command_failed(exit_status::timeout, "no kick within " + seconds_text(timeout) + " s");
    }

    // The status once the commands are done (a failure already reported stands).
    void final_status() {
        if (ended_ || !closed_) return;
        if (kicked_ && kick_claimed_) {
            for (const auto& line : input_) {
                std::string error;
                const auto cmd = parse_command(line, error);
                if (!cmd || cmd->what != command::kind::none) {
                    fail(exit_status::failure,
                         "the connection closed before the script ended (at '" + line + "')");
                    return;
                }
            }
            return;
        }
        connection_gone("connection lost");
    }

    // Flushes what is queued (bounded by --timeout), closes gracefully, and lets every coroutine end.
    asio::awaitable<void> finish() {
        const auto deadline = clock::now() + options_.timeout;
        while (!out_.empty() && !writer_done_ && !ended_ && !closed_ && clock::now() < deadline)
            co_await wait_state(deadline);
        closing_ = true;
        write_signal_.cancel();
        heartbeat_timer_.cancel();
        if (stdin_.is_open()) {
            boost::system::error_code ignored;
            stdin_.cancel(ignored);
        }
        if (transport_) {
            if (!ended_ && !closed_)
                co_await transport_->close(
                    std::chrono::milliseconds(std::min<long long>(options_.timeout.count(), 2000)));
            transport_->abort();
        }
    }

    asio::io_context& io_;
    const connect_options& options_;
    endpoint_url url_;
    bool interactive_;
    event_printer printer_;
    std::unique_ptr<client_transport> transport_;
    session::packet_decoder decoder_;
    session::route_dictionary dict_;
    session::inflater inflater_;

    asio::steady_timer state_signal_;  // the command loop waits on it; notify() wakes it
    asio::steady_timer write_signal_;  // the writer waits on it
    asio::steady_timer heartbeat_timer_;
    asio::posix::stream_descriptor stdin_;
    int stdin_flags_ = -1;

    std::deque<std::string> out_;
    std::deque<std::string> input_;
    bool input_eof_ = false;
    std::map<std::uint64_t, std::string> pending_;  // request id -> route
    std::deque<std::string> unclaimed_pushes_;      // routes of pushes no wait-push took yet
    std::uint64_t next_id_ = 1;
    std::chrono::milliseconds heartbeat_{0};
    clock::time_point last_inbound_ = clock::now();

    bool handshake_done_ = false;
    // Resume (docs/resume.md): the gate's last token and grace, whether this connection resumed
    // a session, and the Response and Push packets received on the session so far.
    std::string resume_token_;
    double resume_grace_ = 0;
    bool resumed_ = false;
    bool resume_printed_ = false;
    std::uint64_t received_ = 0;
    bool kicked_ = false;
    bool kick_claimed_ = false;
    std::string kick_reason_;
    bool closed_ = false;   // the server ended the connection (or a write failed)
    bool closing_ = false;  // we are ending it
    bool ended_ = false;    // a failure was reported; status_ holds it
    bool writer_done_ = false;
    int status_ = exit_status::ok;
};

}  // namespace

int run_connect(const connect_options& options) {
    std::string error;
    auto url = parse_endpoint_url(options.url, {"tcp", "ws"}, error);
    if (!url) {
        std::cerr << "hearth-cli: " << error << "\n";
        return exit_status::usage;
    }
    const bool interactive = options.script.empty() && ::isatty(STDIN_FILENO) == 1;
    asio::io_context io(1);
    client_session session(io, options, std::move(*url), interactive);
    if (!options.script.empty()) {
        if (!session.load_script(options.script)) return exit_status::usage;
    } else {
        session.attach_stdin();
    }
    bool done = false;
    bool threw = false;
    asio::co_spawn(io, session.run(), [&](std::exception_ptr e) {
        done = true;
        if (!e) return;
        threw = true;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            std::cerr << "hearth-cli: internal error: " << ex.what() << "\n";
        } catch (...) {
            std::cerr << "hearth-cli: internal error\n";
        }
    });
    io.run();
    return done && !threw ? session.status() : exit_status::failure;
}

}  // namespace hearth::tools

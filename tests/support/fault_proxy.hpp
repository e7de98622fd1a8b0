#pragma once
// fault_proxy: a TCP proxy for tests that can delay, blackhole, half-close, reset and refuse,
// so cluster links can be broken on purpose between two nodes in one process.
//
//     boost::asio::io_context ioc;
//     hearth::test::fault_proxy proxy(ioc, node_b_endpoint);
//     // point node A at proxy.endpoint() instead of node B, then at any time:
//     proxy.set_blackhole(true);   // B goes silent for A
//     proxy.reset_all();           // both sides see a connection reset
//
// The proxy listens on 127.0.0.1 with an ephemeral port from construction on and runs its
// coroutines on the io_context it is given (through a strand, so the context may run on several
// threads). Every control function is thread-safe and returns at once; the effect on existing
// connections happens on the proxy's strand shortly after (tests wait for the effect itself,
// e.g. a read error, with a deadline).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace hearth::test {

class fault_proxy {
  public:
    using tcp = boost::asio::ip::tcp;

    /// Binds 127.0.0.1:0 and starts accepting. Throws boost::system::system_error if it cannot
    /// bind. Each accepted client gets its own connection to `target`; if that connect fails the
    /// client is closed.
    fault_proxy(boost::asio::io_context& ioc, tcp::endpoint target);
    /// Calls stop(). Coroutines still running keep the shared state alive until they finish.
    ~fault_proxy();

    fault_proxy(const fault_proxy&) = delete;
    fault_proxy& operator=(const fault_proxy&) = delete;

    /// Where clients should connect: 127.0.0.1 and the bound port.
    tcp::endpoint endpoint() const noexcept;
    std::uint16_t port() const noexcept;

    /// Every chunk read from either side is forwarded `delay` later (order is kept). Applies to
    /// chunks read from now on.
    void set_delay(std::chrono::milliseconds delay) noexcept;

    /// On: everything read from either side is discarded (queued chunks too), the sockets stay
    /// open, so each side sees a silent peer. Connections accepted while on never connect to
    /// the target. Off: forwarding resumes for bytes read afterwards.
    void set_blackhole(bool on) noexcept;

    /// On: the listening socket is closed, so new connects fail with "connection refused".
    /// Off: listening resumes on the same port. Accepted connections are not affected; connects
    /// still waiting in the listen backlog (not yet accepted) are dropped with the listener.
    void set_refuse(bool on);

    /// Connections accepted from now on go to `target`; existing ones keep theirs.
    void set_target(tcp::endpoint target);

    /// Shuts down the sending direction toward every connected client (the client reads EOF);
    /// bytes from the target to those clients are discarded afterwards, client bytes are still
    /// forwarded.
    void half_close_clients();

    /// Closes every connection with SO_LINGER 0, so both the client and the target get a
    /// connection reset.
    void reset_all();

    /// Stops accepting and closes every connection (gracefully). Idempotent.
    void stop();

    /// Connections currently open (client side accepted, not yet fully closed).
    std::size_t live_connections() const noexcept;
    /// Connections accepted since construction.
    std::size_t total_connections() const noexcept;

    struct state;

  private:
    std::shared_ptr<state> state_;
};

}  // namespace hearth::test

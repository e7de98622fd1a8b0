#pragma once
// A blocking loopback TCP client for the fuzz targets that drive a real server (gate, admin)
// in the same process: connect to 127.0.0.1:port, write, read with a deadline. POSIX calls
// only, so the client shares nothing with the server's io_context.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace hearth::fuzz {

class loopback_client {
  public:
    explicit loopback_client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) {
            error_ = errno;
            return;
        }
        // The client that half-closes first ends in TIME_WAIT (60 s on Linux) whatever its
        // SO_LINGER, so hundreds of connections a second from 127.0.0.1 alone would run out of
        // ephemeral ports to one server port within minutes of fuzzing. Each connection takes
        // its source address from the rest of 127.0.0.0/8 in turn (all loopback on Linux), which
        // multiplies the 4-tuples by millions.
        static std::uint32_t next_source = 0;
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(0x7f000000u | (2u + next_source++ % 0xfffffdu));
        const int one_bind = 1;
        ::setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one_bind, sizeof one_bind);
        (void)::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src);  // 127.0.0.1 if refused
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && !finish_interrupted_connect()) {
            ::close(fd_);
            fd_ = -1;
            return;
        }
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        // A reset instead of TIME_WAIT on close: thousands of connections a second must not
        // exhaust the ephemeral ports.
        const linger l{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ~loopback_client() {
        if (fd_ >= 0) ::close(fd_);
    }
    loopback_client(const loopback_client&) = delete;
    loopback_client& operator=(const loopback_client&) = delete;

    bool connected() const noexcept { return fd_ >= 0; }
    /// Why the connection failed, for the failure message ("" when connected).
    std::string error() const { return fd_ >= 0 ? std::string() : std::strerror(error_); }

    /// Writes all of `bytes`; false when the peer closed (the server may hang up early).
    bool write(std::string_view bytes) {
        while (!bytes.empty()) {
            const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

    enum class read_result { data, closed, timeout };

    /// Appends what arrives before `until` to `out`.
    read_result read_some(std::string& out, std::chrono::steady_clock::time_point until) {
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return read_result::timeout;
            pollfd p{fd_, POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(left.count()));
            if (r < 0 && errno == EINTR) continue;
            if (r == 0) return read_result::timeout;
            char buf[16384];
            const auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return read_result::closed;  // EOF or reset
            out.append(buf, static_cast<std::size_t>(n));
            return read_result::data;
        }
    }

  private:
    // libFuzzer's timeout alarm (SIGALRM, every second) interrupts a blocking connect(); the
    // connection then completes in the background (POSIX connect(2), EINTR): wait for it and
    // read its outcome instead of calling connect() again (which would fail EALREADY).
    bool finish_interrupted_connect() {
        if (errno != EINTR) {
            error_ = errno;
            return false;
        }
        for (;;) {
            pollfd p{fd_, POLLOUT, 0};
            const int r = ::poll(&p, 1, 5000);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                error_ = r == 0 ? ETIMEDOUT : errno;
                return false;
            }
            int so_error = 0;
            socklen_t len = sizeof so_error;
            ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len);
            error_ = so_error;
            return so_error == 0;
        }
    }

    int error_ = 0;
    int fd_ = -1;
};

}  // namespace hearth::fuzz

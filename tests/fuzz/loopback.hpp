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
#include <string>
#include <string_view>

namespace hearth::fuzz {

class loopback_client {
  public:
    explicit loopback_client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return;
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
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
    int fd_ = -1;
};

}  // namespace hearth::fuzz

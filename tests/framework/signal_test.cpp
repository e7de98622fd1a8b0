#include "framework/signals.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#ifndef HEARTH_SIGNAL_PROBE
#error "HEARTH_SIGNAL_PROBE must name the probe executable"
#endif

namespace {

/// A child process running the probe, with its standard output on a pipe.
struct probe_process {
    pid_t pid = -1;
    int out = -1;

    explicit probe_process(int hang_ms) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::dup2(fds[1], STDOUT_FILENO);
            ::close(fds[0]);
            const std::string hang = std::to_string(hang_ms);
            ::execl(HEARTH_SIGNAL_PROBE, HEARTH_SIGNAL_PROBE, "--hang-ms", hang.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[1]);
        out = fds[0];
    }
    ~probe_process() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        if (out >= 0) ::close(out);
    }

    /// Reads until the probe prints "ready" (at most `deadline`).
    bool wait_ready(std::chrono::milliseconds deadline) {
        std::string seen;
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (seen.find("ready") == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{out, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
            char buf[256];
            const auto n = ::read(out, buf, sizeof buf);
            if (n <= 0) return false;
            seen.append(buf, static_cast<std::size_t>(n));
        }
        return true;
    }

    /// Waits for the exit (at most `deadline`); returns the exit status or -1.
    int wait_exit(std::chrono::milliseconds deadline) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            int status = 0;
            const pid_t r = ::waitpid(pid, &status, WNOHANG);
            if (r == pid) {
                pid = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            if (std::chrono::steady_clock::now() > until) return -1;
            // Wait for the child's exit by polling its stdout: it closes at exit.
            pollfd p{out, POLLIN, 0};
            ::poll(&p, 1, 10);
            char buf[256];
            if (p.revents & POLLIN) (void)::read(out, buf, sizeof buf);
        }
    }
};

}  // namespace

TEST_CASE("SIGTERM stops the node gracefully; the exit status reports success") {
    probe_process p(0);
    REQUIRE(p.wait_ready(std::chrono::seconds(10)));
    ::kill(p.pid, SIGTERM);
    CHECK(p.wait_exit(std::chrono::seconds(10)) == 0);
}

TEST_CASE("a second signal forces an immediate exit while a shutdown step hangs") {
    probe_process p(60000);
    REQUIRE(p.wait_ready(std::chrono::seconds(10)));
    ::kill(p.pid, SIGTERM);
    // The first signal starts the shutdown, which now waits in the 60 s step; the process is
    // still alive.
    CHECK(p.wait_exit(std::chrono::milliseconds(200)) == -1);
    ::kill(p.pid, SIGINT);
    CHECK(p.wait_exit(std::chrono::seconds(5)) == hearth::signal_watcher::forced_exit_status);
}

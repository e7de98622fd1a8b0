#include "app/launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>

namespace hearth::app {

namespace {

/// One output stream of one child: the read end of its pipe and the unfinished last line.
struct stream {
    std::string name;
    int fd = -1;
    std::ostream* out = nullptr;
    std::string partial;

    /// Reads what is there; writes every complete line with its prefix. False at end of file.
    bool pump() {
        char buf[4096];
        const auto n = ::read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
        if (n <= 0) {
            if (!partial.empty()) *out << "[" << name << "] " << partial << "\n" << std::flush;
            partial.clear();
            return false;
        }
        partial.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', start)) {
            *out << "[" << name << "] " << std::string_view(partial).substr(start, nl - start + 1);
            start = nl + 1;
        }
        partial.erase(0, start);
        *out << std::flush;
        return true;
    }
};

}  // namespace

std::string self_executable(const char* argv0) {
    char buf[4096];
    const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return argv0;
    return std::string(buf, static_cast<std::size_t>(n));
}

int launch(const std::string& program, const std::vector<child_process>& children) {
    sigset_t wanted, previous;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGCHLD);
    ::pthread_sigmask(SIG_BLOCK, &wanted, &previous);
    const int sigfd = ::signalfd(-1, &wanted, SFD_CLOEXEC);
    if (sigfd < 0) {
        std::cerr << program << ": signalfd failed: " << std::strerror(errno) << "\n";
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        return 1;
    }

    std::map<pid_t, std::string> running;
    std::vector<std::unique_ptr<stream>> streams;
    bool all_ok = true;
    for (const auto& child : children) {
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
            std::cerr << program << ": pipe failed: " << std::strerror(errno) << "\n";
            all_ok = false;
            break;
        }
        const pid_t pid = ::fork();
        if (pid < 0) {
            std::cerr << program << ": fork failed: " << std::strerror(errno) << "\n";
            ::close(out[0]), ::close(out[1]), ::close(err[0]), ::close(err[1]);
            all_ok = false;
            break;
        }
        if (pid == 0) {
            // Its own process group: a Ctrl-C at the terminal reaches the launcher only, which
            // forwards one SIGTERM (two signals would make the node exit at once). And a
            // launcher that dies does not leave its nodes behind.
            ::setpgid(0, 0);
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
            ::dup2(out[1], STDOUT_FILENO);
            ::dup2(err[1], STDERR_FILENO);
            std::vector<std::string> args = child.argv;
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            const std::string msg = program + ": cannot run " + args[0] + ": " + std::strerror(errno) + "\n";
            (void)!::write(STDERR_FILENO, msg.data(), msg.size());
            ::_exit(127);
        }
        ::close(out[1]);
        ::close(err[1]);
        streams.push_back(std::make_unique<stream>(stream{child.name, out[0], &std::cout, {}}));
        streams.push_back(std::make_unique<stream>(stream{child.name, err[0], &std::cerr, {}}));
        running[pid] = child.name;
        std::cerr << program << ": started " << child.name << " (pid " << pid << ")\n";
    }
    if (!all_ok)  // a child could not be started: stop the others
        for (auto& [pid, name] : running) ::kill(pid, SIGTERM);

    int signals_seen = 0;
    while (!running.empty() || !streams.empty()) {
        std::vector<pollfd> fds{{sigfd, POLLIN, 0}};
        for (const auto& s : streams) fds.push_back({s->fd, POLLIN, 0});
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            std::cerr << program << ": poll failed: " << std::strerror(errno) << "\n";
            break;
        }
        for (std::size_t i = fds.size(); i-- > 1;) {
            if (!fds[i].revents) continue;
            auto& s = streams[i - 1];
            if (!s->pump()) {
                ::close(s->fd);
                streams.erase(streams.begin() + static_cast<std::ptrdiff_t>(i - 1));
            }
        }
        if (!(fds[0].revents & POLLIN)) continue;
        signalfd_siginfo info{};
        if (::read(sigfd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
        if (info.ssi_signo == SIGINT || info.ssi_signo == SIGTERM) {
            ++signals_seen;
            const int forward = signals_seen == 1 ? SIGTERM : SIGKILL;
            std::cerr << program << ": stopping " << running.size() << " node(s)"
                      << (forward == SIGKILL ? " at once" : " gracefully") << "\n";
            for (auto& [pid, name] : running) ::kill(pid, forward);
            continue;
        }
        for (;;) {  // SIGCHLD (coalesced): reap everything that exited
            int status = 0;
            const pid_t pid = ::waitpid(-1, &status, WNOHANG);
            if (pid <= 0) break;
            auto it = running.find(pid);
            if (it == running.end()) continue;
            all_ok = all_ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
            if (WIFEXITED(status))
                std::cerr << program << ": " << it->second << " exited with status " << WEXITSTATUS(status)
                          << "\n";
            else if (WIFSIGNALED(status))
                std::cerr << program << ": " << it->second << " was killed by signal " << WTERMSIG(status)
                          << "\n";
            running.erase(it);
        }
    }
    ::close(sigfd);
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return all_ok ? 0 : 1;
}

}  // namespace hearth::app

#include "framework/signals.hpp"

#include <csignal>
#include <cstdlib>
#include <exception>
#include <thread>

#include <spdlog/logger.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "framework/node.hpp"

namespace hearth {

struct signal_watcher::impl {
    impl(node& n, std::function<void()> hangup)
        : owner(n), signals(io, SIGINT, SIGTERM), on_hangup(std::move(hangup)) {
        if (on_hangup) signals.add(SIGHUP);
    }

    void wait() {
        signals.async_wait([this](const boost::system::error_code& ec, int signo) {
            if (ec) return;
            if (signo == SIGHUP) {
                owner.log().info("signal SIGHUP received: reloading");
                try {
                    on_hangup();
                } catch (const std::exception& e) {
                    owner.log().error("reload on SIGHUP failed: {}", e.what());
                }
                wait();
                return;
            }
            if (++received == 1) {
                owner.log().warn("signal {} received: stopping gracefully (send it again to exit at once)",
                                 signo);
                owner.request_stop();
                wait();
            } else {
                owner.log().error("second signal {} received: exiting at once", signo);
                owner.log().flush();
                std::_Exit(forced_exit_status);
            }
        });
    }

    node& owner;
    boost::asio::io_context io{1};
    boost::asio::signal_set signals;
    std::function<void()> on_hangup;
    int received = 0;
    std::thread thread;
};

signal_watcher::signal_watcher(node& n) : signal_watcher(n, nullptr) {}

signal_watcher::signal_watcher(node& n, std::function<void()> on_hangup)
    : impl_(std::make_unique<impl>(n, std::move(on_hangup))) {
    impl_->wait();
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

signal_watcher::~signal_watcher() {
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace hearth

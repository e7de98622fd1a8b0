// A node process for the signal tests: prints "ready" once running, then waits for signals.
//   hearth_signal_probe [--hang-ms N]   a shutdown step that takes N ms (default 0)
// Exit status: 0 when every shutdown step succeeded, 1 otherwise, 130 when forced.

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "framework/node.hpp"
#include "framework/signals.hpp"
#include "framework/timer.hpp"

int main(int argc, char** argv) {
    int hang_ms = 0;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--hang-ms") == 0) hang_ms = std::atoi(argv[i + 1]);
    hearth::node_config cfg;
    cfg.name = "probe";
    cfg.threads = 1;
    cfg.log_level = "warn";
    hearth::node n(cfg);
    hearth::shutdown_step slow;
    slow.name = "slow step";
    slow.phase = hearth::shutdown_phase::drain_senders;
    slow.deadline = std::chrono::milliseconds(60000);
    slow.run = [hang_ms]() -> hearth::awaitable<void> {
        co_await hearth::sleep(std::chrono::milliseconds(hang_ms));
    };
    n.add_shutdown_step(slow);
    hearth::signal_watcher signals(n);
    n.start();
    std::cout << "ready" << std::endl;
    n.wait();
    return n.last_shutdown().ok() ? 0 : 1;
}

#pragma once
// Graceful stop on SIGINT/SIGTERM, and a reload hook on SIGHUP, for programs that run a node.

#include <functional>
#include <memory>

namespace hearth {

class node;

/// While it lives, the first SIGINT or SIGTERM starts the node's graceful shutdown
/// (node::request_stop) and a second one ends the process at once with status 130, whatever
/// the node is doing. It waits for signals on a thread of its own, so a worker that is stuck
/// cannot swallow the second signal.
class signal_watcher {
  public:
    explicit signal_watcher(node& n);
    /// Also calls `on_hangup` on every SIGHUP (the conventional "re-read your files" signal,
    /// as nginx and HAProxy use it for certificates). It runs on the watcher's own thread: it
    /// must be thread-safe with the node and must not block for long. Null: SIGHUP keeps its
    /// default action.
    signal_watcher(node& n, std::function<void()> on_hangup);
    ~signal_watcher();
    signal_watcher(const signal_watcher&) = delete;
    signal_watcher& operator=(const signal_watcher&) = delete;

    /// Exit status of a process that was forced to exit by a second signal.
    static constexpr int forced_exit_status = 130;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace hearth

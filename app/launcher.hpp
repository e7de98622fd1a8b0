#pragma once
// hearth::app::launch: the local-development supervisor. Starts one child process per node,
// prefixes every line a child writes with "[NAME] " (stdout to stdout, stderr to stderr),
// forwards the first SIGINT/SIGTERM to every child as SIGTERM (graceful stop) and a second one
// as SIGKILL, and returns when every child has exited.

#include <string>
#include <vector>

namespace hearth::app {

struct child_process {
    std::string name;               ///< the prefix of its output lines
    std::vector<std::string> argv;  ///< argv[0] is the executable's path
};

/// Runs `children` until all have exited. Returns 0 when each exited with status 0, else 1.
/// `program` prefixes the launcher's own messages (on stderr). Blocks SIGINT, SIGTERM and
/// SIGCHLD in the calling thread while it runs; call it from main() before other threads exist.
int launch(const std::string& program, const std::vector<child_process>& children);

/// This process's executable (/proc/self/exe), or `argv0` when that cannot be read.
std::string self_executable(const char* argv0);

}  // namespace hearth::app

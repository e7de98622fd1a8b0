#pragma once
// hearth-cli's exit statuses (documented in tools/README.md; scripts rely on them).

namespace hearth::tools::exit_status {
inline constexpr int ok = 0;
/// connect: cannot connect, handshake refused, protocol error, connection lost.
/// admin: cannot connect, a non-2xx answer, an answer that is not what the route returns.
inline constexpr int failure = 1;
/// Bad command line, bad --user JSON, unreadable script, a script line that does not parse.
inline constexpr int usage = 2;
/// connect: no Response within --timeout, or wait-push / wait-kick expired.
inline constexpr int timeout = 3;
/// connect: the server kicked this client and the script was not waiting for it (wait-kick).
inline constexpr int kicked = 4;
}  // namespace hearth::tools::exit_status

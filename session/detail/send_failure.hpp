#pragma once
// What happens to the failure of a fire-and-forget session operation (ref::push, kick, set;
// group::broadcast, multicast): it is counted in hearth_session_send_failures_total{op} and
// logged, at most one line per second per worker thread (an overloaded gate would otherwise
// fill the log). The try_ forms return the failure instead. Private to the session module.

#include <string_view>

#include "rpc/result.hpp"

namespace hearth::session::detail {

/// Counts and logs `r` when it is an error; nothing otherwise. Worker thread of a running node.
void note_send_failure(std::string_view op, const result<void>& r);

}  // namespace hearth::session::detail

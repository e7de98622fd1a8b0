#include "framework/fd_limit.hpp"

#include <limits>

#include <sys/resource.h>

namespace hearth {

namespace {
std::uint64_t as_count(rlim_t v) noexcept {
    return v == RLIM_INFINITY ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(v);
}
}  // namespace

std::uint64_t open_file_limit() noexcept {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
    return as_count(r.rlim_cur);
}

std::uint64_t raise_open_file_limit(std::uint64_t* before) noexcept {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) {
        if (before) *before = 0;
        return 0;
    }
    if (before) *before = as_count(r.rlim_cur);
    if (r.rlim_cur != r.rlim_max) {
        rlimit raised = r;
        raised.rlim_cur = r.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return as_count(raised.rlim_cur);
    }
    return as_count(r.rlim_cur);
}

}  // namespace hearth

// A node raises the soft open-file limit to the hard one when it starts (framework/fd_limit.hpp).

#include <sys/resource.h>

#include <catch2/catch.hpp>

#include "framework/fd_limit.hpp"
#include "framework/node.hpp"
#include "tests/framework/harness.hpp"

TEST_CASE("fd limit: a starting node raises the soft RLIMIT_NOFILE to the hard limit") {
    rlimit r{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &r) == 0);
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < 512) {
        WARN("the hard limit is too low to lower the soft one under it");
        return;
    }
    rlimit lowered = r;
    lowered.rlim_cur = 256;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    CHECK(hearth::open_file_limit() == 256);
    {
        hearth::node n(hearth::testing::test_config("fd-limit"));
        n.start();
        n.stop();
    }
    REQUIRE(getrlimit(RLIMIT_NOFILE, &r) == 0);
    CHECK(r.rlim_cur == r.rlim_max);
    std::uint64_t before = 0;
    CHECK(hearth::raise_open_file_limit(&before) == before);  // idempotent: already at the hard limit
}

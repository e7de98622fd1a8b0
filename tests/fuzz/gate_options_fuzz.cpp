// The gate-options JSON parser (session::gate_options::from_json).
//
// Properties:
// - bad input is a failure (std::errc::invalid_argument) with a sentence, never an exception
//   (no nlohmann type_error, no std::out_of_range) and never undefined behaviour (UBSan);
// - accepted options respect the documented ranges: ports in -1..65535, ws_path starting with
//   '/', every timer at least 1 ms, max_packet_body within the 24-bit packet length, sizes > 0.

#include <stdexcept>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "session/gate_options.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace hearth::session;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = hearth::fuzz::as_view(data, size);
    const auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return 0;
    try {
        const auto parsed = gate_options::from_json(j);
        if (!parsed) {
            FUZZ_CHECK(parsed.error().code == std::errc::invalid_argument, "a refusal with another code");
            FUZZ_CHECK(!parsed.error().message.empty(), "an empty error sentence");
            return 0;
        }
        const auto& o = *parsed;
        FUZZ_CHECK(o.tcp_port >= -1 && o.tcp_port <= 65535, "tcp_port out of range");
        FUZZ_CHECK(o.ws_port >= -1 && o.ws_port <= 65535, "ws_port out of range");
        FUZZ_CHECK(!o.ws_path.empty() && o.ws_path.front() == '/', "ws_path does not start with '/'");
        FUZZ_CHECK(o.heartbeat.count() >= 1, "heartbeat below 1 ms");
        FUZZ_CHECK(o.handshake_timeout.count() >= 1, "handshake_timeout below 1 ms");
        FUZZ_CHECK(o.kick_flush_timeout.count() >= 1, "kick_flush_timeout below 1 ms");
        FUZZ_CHECK(o.request_timeout.count() >= 1, "request_timeout below 1 ms");
        // Timers are added to steady_clock::now(): twice the largest must not overflow.
        const auto now = std::chrono::steady_clock::now().time_since_epoch();
        for (auto t : {o.heartbeat, o.handshake_timeout, o.kick_flush_timeout, o.request_timeout})
            FUZZ_CHECK(t <= std::chrono::duration_cast<std::chrono::milliseconds>(
                                (std::chrono::steady_clock::duration::max() - now) / 4),
                       "a timer so long that now() + 2 x timer overflows");
        FUZZ_CHECK(o.max_packet_body >= 1 && o.max_packet_body <= (std::size_t{1} << 24) - 1,
                   "max_packet_body out of range");
        FUZZ_CHECK(o.max_connections >= 1 && o.max_queued_bytes >= 1 && o.max_queued_packets >= 1,
                   "a size limit of 0");
        FUZZ_CHECK(o.rate_limit >= 0 && o.rate_burst >= 0, "a negative rate");
        FUZZ_CHECK(o.connection_rate_per_address >= 0, "a negative connection rate per address");
        FUZZ_CHECK(o.connection_burst_per_address == 0 || o.connection_burst_per_address >= 1,
                   "a connection burst per address in (0, 1)");
        if (o.dictionary) {
            o.dictionary->for_each([](std::uint16_t, std::string_view route) {
                FUZZ_CHECK(!route.empty() && route.size() <= 255, "a dictionary route out of range");
            });
        }
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, std::string("from_json threw instead of returning a failure: ") + e.what());
    }
    return 0;
}

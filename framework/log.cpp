#include "framework/log.hpp"

#include <string>

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace hearth {

std::shared_ptr<spdlog::logger> make_logger(std::string_view name, std::string_view level) {
    // One sink per process: spdlog's _mt sinks serialise writers, and sharing one keeps lines
    // from different nodes and threads whole.
    static const auto sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
    auto log = std::make_shared<spdlog::logger>(std::string(name), sink);
    log->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
    auto lvl = spdlog::level::from_str(std::string(level));
    if (lvl == spdlog::level::off && level != "off") lvl = spdlog::level::info;
    log->set_level(lvl);
    log->flush_on(spdlog::level::warn);
    return log;
}

std::string describe(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "a non-standard exception";
    }
}

}  // namespace hearth

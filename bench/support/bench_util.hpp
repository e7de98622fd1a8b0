#pragma once
// Shared pieces of the benchmark programs: flags, latency statistics, one JSON line per result.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::bench {

/// Value of `--name V` (or `--name=V`) in argv, or `fallback`.
inline std::string flag(int argc, char** argv, std::string_view name, std::string fallback) {
    const std::string key = "--" + std::string(name);
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == key && i + 1 < argc) return argv[i + 1];
        if (a.size() > key.size() && a.substr(0, key.size()) == key && a[key.size()] == '=')
            return std::string(a.substr(key.size() + 1));
    }
    return fallback;
}

inline double flag_double(int argc, char** argv, std::string_view name, double fallback) {
    auto v = flag(argc, argv, name, "");
    if (v.empty()) return fallback;
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || d <= 0) {
        std::cerr << "--" << name << " takes a positive number, not '" << v << "'\n";
        std::exit(2);
    }
    return d;
}

/// Latency samples in nanoseconds; percentiles on demand.
class latencies {
  public:
    void reserve(std::size_t n) { samples_.reserve(n); }
    void add(std::chrono::nanoseconds d) {
        if (samples_.size() < cap_) samples_.push_back(static_cast<std::uint64_t>(d.count()));
    }
    void merge(const latencies& o) { samples_.insert(samples_.end(), o.samples_.begin(), o.samples_.end()); }
    /// Percentile p (0..100) in microseconds.
    double percentile_us(double p) {
        if (samples_.empty()) return 0;
        if (!sorted_) {
            std::sort(samples_.begin(), samples_.end());
            sorted_ = true;
        }
        auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(samples_.size() - 1));
        return static_cast<double>(samples_[idx]) / 1000.0;
    }

  private:
    std::vector<std::uint64_t> samples_;
    std::size_t cap_ = 50'000'000;
    bool sorted_ = false;
};

/// Prints one result as one JSON line on standard output and flushes it.
inline void emit(const nlohmann::json& line) {
    std::cout << line.dump() << std::endl;
}

inline double round1(double v) {
    return static_cast<double>(static_cast<long long>(v * 10 + 0.5)) / 10;
}

}  // namespace hearth::bench

#pragma once
// Node metrics in the Prometheus text format. Counters and gauges are owned atomics that
// any thread may update; collectors compute samples at scrape time (queue depths, per-worker
// counters summed), so hot paths pay nothing for metrics they already keep.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class counter {
  public:
    void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> value_{0};
};

class gauge {
  public:
    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(double d) noexcept {
        double cur = value_.load(std::memory_order_relaxed);
        while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
        }
    }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0};
};

/// Cumulative histogram with fixed upper bounds (seconds, bytes, ...).
class histogram {
  public:
    explicit histogram(std::vector<double> bounds);
    void observe(double v) noexcept;
    const std::vector<double>& bounds() const noexcept { return bounds_; }
    /// Per-bucket (non-cumulative) counts; the last is +Inf.
    std::vector<std::uint64_t> counts() const;
    double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
    std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
    std::atomic<double> sum_{0};
    std::atomic<std::uint64_t> count_{0};
};

enum class metric_type { counter, gauge, histogram };

/// Receives samples from collectors during a scrape.
class metrics_writer {
  public:
    virtual ~metrics_writer() = default;
    /// Declares a family once per scrape (HELP and TYPE lines); samples follow.
    virtual void family(std::string_view name, std::string_view help, metric_type type) = 0;
    virtual void sample(std::string_view name, const metric_labels& labels, double value) = 0;
};

class metrics {
  public:
    /// The counter with that name and labels, created on first use. References stay valid for
    /// the registry's life. Any thread.
    hearth::counter& counter(const std::string& name, const std::string& help,
                             const metric_labels& labels = {});
    hearth::gauge& gauge(const std::string& name, const std::string& help, const metric_labels& labels = {});
    hearth::histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                                 const metric_labels& labels = {});

    using collector = std::function<void(metrics_writer&)>;
    /// Adds a scrape-time collector; the returned id removes it.
    std::uint64_t add_collector(collector c);
    void remove_collector(std::uint64_t id);

    /// Everything, in the Prometheus text exposition format (version 0.0.4).
    std::string render() const;

    /// Default latency buckets in seconds (50 us .. 10 s).
    static std::vector<double> latency_buckets();

  private:
    struct family_entry {
        std::string help;
        metric_type type;
        std::vector<double> bounds;
        std::map<metric_labels, std::unique_ptr<hearth::counter>> counters;
        std::map<metric_labels, std::unique_ptr<hearth::gauge>> gauges;
        std::map<metric_labels, std::unique_ptr<hearth::histogram>> histograms;
    };
    family_entry& family(const std::string& name, const std::string& help, metric_type type);

    mutable std::mutex mutex_;
    std::map<std::string, family_entry> families_;
    std::map<std::uint64_t, collector> collectors_;
    std::uint64_t next_collector_ = 1;
};

}  // namespace hearth

#include "framework/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>

namespace hearth {
namespace {

std::string escape_label(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    std::ostringstream os;
    os.precision(10);
    os << v;
    return os.str();
}

const char* type_name(metric_type t) {
    switch (t) {
        case metric_type::counter:
            return "counter";
        case metric_type::gauge:
            return "gauge";
        case metric_type::histogram:
            return "histogram";
    }
    return "untyped";
}

/// Writes families in order; a family declared twice (by two collectors) is printed once.
class text_writer final : public metrics_writer {
  public:
    void family(std::string_view name, std::string_view help, metric_type type) override {
        if (!declared_.insert(std::string(name)).second) return;
        out_ << "# HELP " << name << ' ' << help << '\n'
             << "# TYPE " << name << ' ' << type_name(type) << '\n';
    }
    void sample(std::string_view name, const metric_labels& labels, double value) override {
        out_ << name;
        if (!labels.empty()) {
            out_ << '{';
            for (std::size_t i = 0; i < labels.size(); ++i) {
                if (i) out_ << ',';
                out_ << labels[i].first << "=\"" << escape_label(labels[i].second) << '"';
            }
            out_ << '}';
        }
        out_ << ' ' << format_value(value) << '\n';
    }
    std::string str() const { return out_.str(); }

  private:
    std::ostringstream out_;
    std::set<std::string> declared_;
};

}  // namespace

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
    std::sort(bounds_.begin(), bounds_.end());
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    double cur = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
}

std::vector<std::uint64_t> histogram::counts() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
    return out;
}

metrics::family_entry& metrics::family(const std::string& name, const std::string& help, metric_type type) {
    auto [it, inserted] = families_.try_emplace(name);
    if (inserted) {
        it->second.help = help;
        it->second.type = type;
    } else if (it->second.type != type) {
        throw std::invalid_argument("metric '" + name + "' is registered with another type");
    }
    return it->second;
}

counter& metrics::counter(const std::string& name, const std::string& help, const metric_labels& labels) {
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, metric_type::counter);
    auto& slot = f.counters[labels];
    if (!slot) slot = std::make_unique<hearth::counter>();
    return *slot;
}

gauge& metrics::gauge(const std::string& name, const std::string& help, const metric_labels& labels) {
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, metric_type::gauge);
    auto& slot = f.gauges[labels];
    if (!slot) slot = std::make_unique<hearth::gauge>();
    return *slot;
}

histogram& metrics::histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                              const metric_labels& labels) {
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, metric_type::histogram);
    auto& slot = f.histograms[labels];
    if (!slot) slot = std::make_unique<hearth::histogram>(std::move(bounds));
    return *slot;
}

std::uint64_t metrics::add_collector(collector c) {
    std::lock_guard lock(mutex_);
    const auto id = next_collector_++;
    collectors_.emplace(id, std::move(c));
    return id;
}

void metrics::remove_collector(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    collectors_.erase(id);
}

std::vector<double> metrics::latency_buckets() {
    return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
            0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

std::string metrics::render() const {
    text_writer w;
    std::lock_guard lock(mutex_);
    for (const auto& [name, f] : families_) {
        w.family(name, f.help, f.type);
        for (const auto& [labels, c] : f.counters) w.sample(name, labels, static_cast<double>(c->value()));
        for (const auto& [labels, g] : f.gauges) w.sample(name, labels, g->value());
        for (const auto& [labels, h] : f.histograms) {
            const auto counts = h->counts();
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < counts.size(); ++i) {
                cumulative += counts[i];
                metric_labels l = labels;
                l.emplace_back("le", i < h->bounds().size() ? format_value(h->bounds()[i]) : "+Inf");
                w.sample(name + "_bucket", l, static_cast<double>(cumulative));
            }
            w.sample(name + "_sum", labels, h->sum());
            w.sample(name + "_count", labels, static_cast<double>(h->count()));
        }
    }
    for (const auto& [id, c] : collectors_) c(w);
    return w.str();
}

}  // namespace hearth

#pragma once
// The sender's table of calls written and not yet answered: (call id, caller's worker) → the
// caller's deadline. An open-addressing table (linear probing, backward-shift deletion) in one
// array, so inserting and taking a call allocates nothing once the table has grown to the
// number of calls in flight (std::unordered_map allocated a node per call on the hot path).
// Single-threaded (the sender's worker).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "framework/asio.hpp"

namespace hearth::cluster::detail {

class call_table {
  public:
    struct key {
        std::uint64_t id = 0;
        std::uint32_t worker = 0;
    };

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    /// Adds or replaces the entry for `k`.
    void insert(key k, clock::time_point deadline) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        std::size_t i = home(k);
        for (;; i = (i + 1) & mask_) {
            auto& s = slots_[i];
            if (!s.used) {
                s = slot{k.id, k.worker, true, deadline};
                ++size_;
                return;
            }
            if (s.id == k.id && s.worker == k.worker) {
                s.deadline = deadline;
                return;
            }
        }
    }

    /// Removes the entry for `k`; false when there is none.
    bool take(key k) noexcept {
        if (size_ == 0) return false;
        for (std::size_t i = home(k);; i = (i + 1) & mask_) {
            const auto& s = slots_[i];
            if (!s.used) return false;
            if (s.id == k.id && s.worker == k.worker) {
                erase_at(i);
                return true;
            }
        }
    }

    /// Calls f(key, deadline) for every entry.
    template <class F>
    void for_each(F&& f) const {
        for (const auto& s : slots_)
            if (s.used) f(key{s.id, s.worker}, s.deadline);
    }

    /// Removes every entry for which pred(deadline) is true.
    template <class Pred>
    void erase_if(Pred&& pred) {
        std::vector<key> doomed;
        for (const auto& s : slots_)
            if (s.used && pred(s.deadline)) doomed.push_back(key{s.id, s.worker});
        for (const auto& k : doomed) take(k);
    }

    void clear() noexcept {
        for (auto& s : slots_) s.used = false;
        size_ = 0;
    }

  private:
    struct slot {
        std::uint64_t id = 0;
        std::uint32_t worker = 0;
        bool used = false;
        clock::time_point deadline{};
    };

    std::size_t home(key k) const noexcept {
        const std::uint64_t h = (k.id ^ (std::uint64_t{k.worker} << 48)) * 0x9E3779B97F4A7C15ull;
        return static_cast<std::size_t>(h >> 20) & mask_;
    }

    void erase_at(std::size_t i) noexcept {
        // Backward shift: move later entries of the same probe run into the hole.
        std::size_t hole = i;
        for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
            auto& s = slots_[j];
            if (!s.used) break;
            const std::size_t want = home(key{s.id, s.worker});
            // s may move to `hole` unless its home lies cyclically in (hole, j].
            const bool stays = hole <= j ? (want > hole && want <= j) : (want > hole || want <= j);
            if (stays) continue;
            slots_[hole] = s;
            hole = j;
        }
        slots_[hole].used = false;
        --size_;
    }

    void grow() {
        std::vector<slot> old;
        old.swap(slots_);
        const std::size_t capacity = old.empty() ? 256 : old.size() * 2;
        slots_.assign(capacity, slot{});
        mask_ = capacity - 1;
        size_ = 0;
        for (const auto& s : old)
            if (s.used) insert(key{s.id, s.worker}, s.deadline);
    }

    std::vector<slot> slots_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

}  // namespace hearth::cluster::detail

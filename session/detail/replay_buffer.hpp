#pragma once
// The replay buffer of a resumable session (docs/resume.md): the most recent Response and Push
// packets, whole and encoded, with their numbers (1, 2, 3, ... over the session's life). After
// a resume the packets numbered above what the client says it received are written again.
// Owned by one connection; its worker's thread only.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace hearth::session::detail {

class replay_buffer {
  public:
    struct entry {
        std::uint64_t seq = 0;
        std::shared_ptr<const std::string> shared;  // a broadcast packet, shared with others
        std::string own;                            // used when `shared` is null
        std::string_view bytes() const noexcept { return shared ? std::string_view(*shared) : own; }
    };

    /// Numbers and keeps a copy of `packet`; returns its number.
    std::uint64_t add(std::string_view packet) {
        entries_.push_back(entry{++last_, nullptr, std::string(packet)});
        bytes_ += packet.size();
        return last_;
    }
    /// Numbers and keeps a reference to a shared packet (no copy); returns its number.
    std::uint64_t add(std::shared_ptr<const std::string> packet) {
        bytes_ += packet->size();
        entries_.push_back(entry{++last_, std::move(packet), {}});
        return last_;
    }

    /// The number of the last packet added (0: none yet).
    std::uint64_t last() const noexcept { return last_; }
    /// The lowest number still held (last() + 1 when empty).
    std::uint64_t first() const noexcept { return entries_.empty() ? last_ + 1 : entries_.front().seq; }
    std::size_t bytes() const noexcept { return bytes_; }
    std::size_t packets() const noexcept { return entries_.size(); }
    bool over(std::size_t max_bytes, std::size_t max_packets) const noexcept {
        return bytes_ > max_bytes || entries_.size() > max_packets;
    }
    /// Drops the oldest packets until within the bounds.
    void trim(std::size_t max_bytes, std::size_t max_packets) {
        while (!entries_.empty() && over(max_bytes, max_packets)) {
            bytes_ -= entries_.front().bytes().size();
            entries_.pop_front();
        }
    }
    /// True when every packet after `received` is held (a resume from `received` is complete).
    bool covers(std::uint64_t received) const noexcept {
        return received <= last_ && received + 1 >= first();
    }
    /// Calls f(const entry&) for each packet numbered above `received`, oldest first.
    template <class F>
    std::size_t for_each_after(std::uint64_t received, F f) const {
        std::size_t n = 0;
        for (const auto& e : entries_)
            if (e.seq > received) {
                f(e);
                ++n;
            }
        return n;
    }
    void clear() noexcept {
        entries_.clear();
        bytes_ = 0;
    }

  private:
    std::deque<entry> entries_;
    std::size_t bytes_ = 0;
    std::uint64_t last_ = 0;
};

}  // namespace hearth::session::detail

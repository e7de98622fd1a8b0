#pragma once
// An NTP-style estimate of a peer's clock, kept per link (docs/protocol.md, section 7.1).
//
// Every node stamps the frames that carry time with microseconds of its own monotonic clock
// (wire_time). A stamped frame also echoes the `sent` stamp of the last stamped frame it read
// from the other side and when it read it. So each stamped frame that echoes one of ours gives
// the four NTP timestamps:
//
//     t1 = echo           our clock: we wrote our frame
//     t2 = echo_received  peer's clock: the peer read it
//     t3 = sent           peer's clock: the peer wrote this frame
//     t4 = arrival        our clock: we read this frame
//
//     round trip = (t4 - t1) - (t3 - t2)        offset (peer - ours) = ((t2 - t1) + (t3 - t4)) / 2
//
// and the offset is right to within half that round trip. A sample read late (the process was
// stopped, the receive buffer was full) has a long round trip and a biased offset, so the
// estimate keeps the sample with the smallest round trip, aged by the clocks' possible drift:
// a new sample replaces it when its round trip is no longer than the kept one's plus
// max_drift_ppm of the time since. Stale samples never win over a good recent one.
//
// Not thread-safe: each link uses it on its own worker.

#include <chrono>
#include <cstdint>

#include "cluster/frame.hpp"
#include "framework/asio.hpp"

namespace hearth::cluster::detail {

/// `t` as microseconds of this process's monotonic clock: the time base of every stamp and
/// deadline a node writes.
inline std::uint64_t wire_time(clock::time_point t) noexcept {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

class clock_sync {
  public:
    /// How fast two monotonic clocks may drift apart, in parts per million (generous: quartz
    /// is within 100 ppm, and NTP disciplines most hosts much better).
    static constexpr std::uint64_t max_drift_ppm = 200;

    /// A stamped frame arrived at `arrival` (our wire time). Remembers its `sent` stamp for the
    /// next echo and, when it echoes one of ours, takes the sample. Returns false when the
    /// stamps are inconsistent (the echo is later than the arrival, or the peer wrote before it
    /// read); such a frame gives no sample.
    bool on_stamps(const time_stamps& s, std::uint64_t arrival) noexcept {
        if (s.sent == 0) return false;
        peer_sent_ = s.sent;
        peer_sent_arrival_ = arrival;
        if (s.echo == 0) return true;  // the first stamp of the exchange: nothing to echo yet
        if (s.echo > arrival || s.sent < s.echo_received) return false;
        const auto total = arrival - s.echo;         // t4 - t1
        const auto held = s.sent - s.echo_received;  // t3 - t2
        const auto round_trip = total > held ? total - held : 0;
        const auto offset = (static_cast<std::int64_t>(s.echo_received - s.echo) +
                             static_cast<std::int64_t>(s.sent - arrival)) /
                            2;
        if (!has_estimate_ || round_trip <= aged_round_trip(arrival)) {
            has_estimate_ = true;
            offset_ = offset;
            round_trip_ = round_trip;
            taken_at_ = arrival;
        }
        return true;
    }

    /// The stamps for a frame we write at `now` (our wire time).
    time_stamps stamps(std::uint64_t now) const noexcept { return {peer_sent_, peer_sent_arrival_, now}; }

    bool has_estimate() const noexcept { return has_estimate_; }
    /// The peer's clock minus ours, in microseconds (0 without an estimate).
    std::int64_t offset_us() const noexcept { return offset_; }
    /// The round trip of the sample the offset comes from, in microseconds.
    std::uint64_t round_trip_us() const noexcept { return round_trip_; }

    /// A time in the peer's wire time, as a point of our clock (the peer's clock as is without
    /// an estimate).
    clock::time_point to_local(std::uint64_t peer_time) const noexcept {
        const auto local = static_cast<std::int64_t>(peer_time) - offset_;
        return clock::time_point(
            std::chrono::duration_cast<clock::duration>(std::chrono::microseconds(local)));
    }

    /// The earliest point of our clock that a deadline stamped `peer_time` by the peer can
    /// be: its mapping minus the estimate's uncertainty (half the round trip). Work started
    /// after it may already be expired for the peer, and its answer could not reach the peer
    /// in time anyway (the way back takes about half a round trip too).
    clock::time_point deadline_to_local(std::uint64_t peer_time) const noexcept {
        return to_local(peer_time) - std::chrono::microseconds(round_trip_ / 2);
    }

    void reset() noexcept { *this = clock_sync{}; }

  private:
    // The kept sample's round trip plus what the clocks may have drifted since it was taken.
    std::uint64_t aged_round_trip(std::uint64_t now) const noexcept {
        const auto age = now > taken_at_ ? now - taken_at_ : 0;
        return round_trip_ + age / 1'000'000 * max_drift_ppm + age % 1'000'000 * max_drift_ppm / 1'000'000;
    }

    bool has_estimate_ = false;
    std::int64_t offset_ = 0;
    std::uint64_t round_trip_ = 0;
    std::uint64_t taken_at_ = 0;
    std::uint64_t peer_sent_ = 0, peer_sent_arrival_ = 0;
};

}  // namespace hearth::cluster::detail

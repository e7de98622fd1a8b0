#pragma once
// Requests from other nodes as they reach a service: one block per dispatch_inbound() batch.
//
// A block holds the batch message, one remote_item per request and copies of their routes and
// payloads, in a single allocation. The batch message delivers its items in order when it
// runs; each item is an ordinary inbound message from then on (runners, serial mode, stop).
// The block is freed when the batch has run and every item is disposed of, so one handler that
// stays suspended keeps its whole block alive: node.cpp caps a batch's size for that reason.

#include <atomic>
#include <cstdint>
#include <string_view>

#include "framework/detail/handler.hpp"
#include "framework/detail/inbound.hpp"
#include "framework/node.hpp"

namespace hearth::detail {

class remote_batch;

/// One request of a batch. Lives in its batch's block; dispose() gives its share back.
class remote_item final : public inbound, public encoded_target {
  public:
    remote_item(remote_batch& batch, service& target, std::string_view route, std::string_view payload,
                call_context ctx, const node::inbound_entry& e, bool from_client_gate);

    awaitable<void> execute(worker& w) override;
    void reject(worker& w, rpc::error e) override;
    void reply(encoded_outcome&& out) override;
    rpc::error failed(std::exception_ptr e) override;
    void dispose() noexcept override;

  private:
    void answer(remote_outcome&& o);

    remote_batch& batch_;
    std::string_view payload_;  // in the block
    clock::time_point deadline_;
    std::uint64_t call_id_;
    std::uint32_t reply_worker_;
    bool one_way_;
    bool from_client_gate_;  // a client's call sent by the node of that client's gate
    worker* worker_ = nullptr;
    std::uint64_t client_effects_ = 0;  // node::remote_client_effects() when a client's call started
};

class remote_batch final : public message {
  public:
    /// Builds the block for the first `count` entries of `b` (those that got a mailbox place).
    static remote_batch* create(service& target, const node::inbound_batch& b, std::size_t count);

    /// Delivers every item to the service, in order.
    void run(worker& w) override;
    /// The batch never ran (its node stopped first): its items end unrun.
    void dispose() noexcept override;

    rpc::codec codec() const noexcept { return codec_; }
    node::inbound_replies* replies() const noexcept { return replies_.get(); }
    /// Drops one share of the block (the batch's own, or an item's); the last frees it.
    void release() noexcept;

  private:
    remote_batch(rpc::codec codec, std::shared_ptr<node::inbound_replies> replies, remote_item* items,
                 std::size_t count) noexcept
        : codec_(codec),
          replies_(std::move(replies)),
          items_(items),
          count_(count),
          shares_(static_cast<std::uint32_t>(count) + 1) {}
    ~remote_batch() = default;

    rpc::codec codec_;
    std::shared_ptr<node::inbound_replies> replies_;
    remote_item* items_;
    std::size_t count_;
    std::atomic<std::uint32_t> shares_;
};

}  // namespace hearth::detail

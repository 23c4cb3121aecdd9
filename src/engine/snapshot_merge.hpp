// SnapshotMerge: the stream-side half of table snapshots. It sits between the decoder and the
// assembler (a DecodeHandler that forwards everything else unchanged) and
//   - at a chunk's low watermark, opens a window that notes which keys each transaction touches
//     in the chunk's table;
//   - at its high watermark, closes the window and starts delivering the chunk's rows as one
//     snapshot "transaction" at the watermark's LSN, leaving out rows a transaction the chunk's
//     snapshot did not see has already changed (core/snapshot_window.hpp); the connector then
//     calls emit_some() until the chunk is through, before it reads the stream further;
//   - takes snapshot requests (transactional messages, see SnapshotCoordinator::request) for its
//     slot when their transaction commits, and hides them from the consumer.
// Not thread-safe: the stream's thread drives it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/snapshot_window.hpp"
#include "core/transaction_assembler.hpp"
#include "decode/decode_handler.hpp"
#include "engine/snapshot_coordinator.hpp"

namespace sabot::engine {

class SnapshotMerge : public decode::DecodeHandler {
 public:
  // Borrows all three; `slot`: requests for other slots are left alone (and hidden).
  SnapshotMerge(core::TransactionAssembler& assembler, SnapshotCoordinator& coordinator,
                std::string slot);

  void on_begin(const decode::TxBegin& begin) override;
  void on_change(ChangeEvent&& event) override;
  void on_commit(const decode::TxCommit& commit) override;
  void on_message(ChangeEvent&& message) override;

  // A chunk is being delivered: the stream must not be read further until it is through.
  bool emitting() const { return emission_.has_value(); }
  // Moves the rows the worker has read so far into the assembler, waiting up to `wait` for them.
  void emit_some(std::chrono::milliseconds wait);
  // The session ended: open windows and a chunk half delivered are void (their chunks are read
  // again, see SnapshotCoordinator::rewind).
  void reset();

 private:
  struct Window {
    std::shared_ptr<Chunk> chunk;
    core::ChunkWindow touched;
    uint64_t low_mark = 0;  // RecentTransactions::count() at the low watermark
  };
  struct Emission {
    std::shared_ptr<Chunk> chunk;
    std::shared_ptr<const ReadShape> shape;
    std::unordered_map<std::string, uint32_t> superseded;
    decode::TxBegin begin;  // commit_lsn: the reads' position, one before the watermark's LSN
    Lsn watermark;          // the high watermark message's LSN (the end of its record)
    uint64_t rows = 0;
    std::optional<KeyValues> last_key;
  };

  void note_change(const ChangeEvent& event);
  void on_watermark(const ChangeEvent& message);
  void forget_given_up_windows();
  void start_emission(std::shared_ptr<Chunk> chunk, Window window, Lsn lsn);
  void emit_piece(const std::shared_ptr<const pg::RowPiece>& piece);
  void finish_emission(bool complete);

  core::TransactionAssembler& assembler_;
  SnapshotCoordinator& coordinator_;
  std::string slot_;
  core::RecentTransactions recent_;
  uint32_t current_xid_ = 0;
  std::map<uint64_t, Window> windows_;  // by chunk id
  std::vector<std::pair<std::string, std::vector<std::string>>> requests_;  // in the open tx
  std::optional<Emission> emission_;
};

}  // namespace sabot::engine

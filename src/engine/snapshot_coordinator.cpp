#include "engine/snapshot_coordinator.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <fmt/format.h>

#include "sabot/error.hpp"
#include "sabot/jsonl.hpp"

namespace sabot::engine {

namespace {

constexpr int kPieceRows = 2000;     // rows read into one piece at most
constexpr size_t kPieceBytes = 4 << 20;  // or values of this many bytes (read by COPY)
// What a worker reads ahead of the stream: enough to cover the stream's wait for the next
// chunk's high watermark (its round trip through the WAL), so both connections keep reading.
constexpr size_t kAheadBytes = 8 << 20;
constexpr auto kIdleWait = std::chrono::milliseconds(200);
constexpr auto kRetryWait = std::chrono::seconds(1);
constexpr const char* kInitialPlan = "initial";

std::string random_token() {
  std::random_device device;
  std::mt19937_64 bits(device());
  return fmt::format("{:016x}", bits());
}

std::string qualified(const std::string& schema, const std::string& table) {
  return schema + "." + table;
}

std::pair<std::string, std::string> split_qualified(const std::string& name) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos) return {"public", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

std::shared_ptr<const ReadShape> make_shape(const pg::SnapshotTable& source,
                                            const std::vector<pg::ReadColumn>& columns) {
  auto shape = std::make_shared<ReadShape>();
  shape->schema = source.schema;
  shape->table = source.table;
  for (const pg::ReadColumn& column : columns) {
    shape->names.push_back(column.name);
    shape->type_oids.push_back(column.type_oid);
    shape->type_names.push_back(column.type_name);
    if (column.identity) shape->key_names.push_back(column.name);
  }
  for (const std::string& key : source.chunk_key) {
    const auto it = std::find(shape->names.begin(), shape->names.end(), key);
    if (it != shape->names.end()) {
      shape->chunk_key_index.push_back(static_cast<size_t>(it - shape->names.begin()));
    }
  }
  if (shape->chunk_key_index.size() != source.chunk_key.size()) shape->chunk_key_index.clear();
  return shape;
}

// The chunk key of a read event (the same text as the chunk key of its row in the result).
KeyValues chunk_key_of(const ChangeEvent& event, const std::vector<std::string>& chunk_key) {
  KeyValues key;
  for (const std::string& name : chunk_key) {
    const Column* column = event.column(name);
    if (column == nullptr || column->value.is_null()) {
      key.emplace_back(std::nullopt);
    } else {
      key.emplace_back(std::string(column->value.text()));
    }
  }
  return key;
}

// What a failure means for the user, with the fix; `role` is the one the snapshot reads as.
std::string failure_advice(const CdcError& error, const std::string& role) {
  if (error.sqlstate() == "57014") {
    return fmt::format(" The server cancelled the read (statement_timeout): lift it for the "
                       "streaming role (ALTER ROLE {} SET statement_timeout = 0) or choose a "
                       "smaller --snapshot-chunk-rows.",
                       role);
  }
  if (error.sqlstate() == "42501") {
    return " The role lacks a privilege: GRANT SELECT on the table to it.";
  }
  return "";
}

// Where `chunk` is among `in_flight` (end() when it is not there).
auto find_chunk(const std::vector<std::shared_ptr<Chunk>>& in_flight, const Chunk& chunk) {
  return std::find_if(in_flight.begin(), in_flight.end(),
                      [&](const auto& c) { return c.get() == &chunk; });
}

}  // namespace

std::string write_snapshot_request(const PostgresCdcConfig& config,
                                   const std::vector<std::string>& patterns) {
  if (patterns.empty()) {
    throw CdcError(ErrorKind::Config, "a snapshot request names the tables to read (--tables)");
  }
  (void)TableFilter(patterns);  // throws CdcError{Config} on a bad pattern
  const std::string id = random_token();
  std::string content = "{\"request\":";
  append_json_string(content, id);
  content += ",\"slot\":";
  append_json_string(content, config.slot_name);
  content += ",\"tables\":[";
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (i > 0) content += ',';
    append_json_string(content, patterns[i]);
  }
  content += "]}";
  pg::PgConnection conn(config, pg::ConnectionKind::Regular);
  pg::emit_snapshot_message(conn, content, /*transactional=*/true);
  return id;
}

SnapshotCoordinator::SnapshotCoordinator(const PostgresCdcConfig& config, const TableFilter& filter)
    : config_(config), filter_(filter), token_(random_token()) {
  config_.metrics = nullptr;
}

SnapshotCoordinator::~SnapshotCoordinator() {
  stopping_.store(true);
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, chunk] : chunks_) {
      std::lock_guard chunk_lock(chunk->mutex);
      chunk->aborted = true;
      chunk->changed.notify_all();
    }
  }
  work_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void SnapshotCoordinator::start(const std::string& system_id, EventPosition durable,
                                bool new_slot) {
  const std::string path = config_.snapshot_state_path.empty()
                               ? SnapshotState::default_path(system_id, config_.slot_name)
                               : config_.snapshot_state_path;
  state_ = std::make_unique<SnapshotState>(path);
  if (new_slot) state_->reset();
  std::lock_guard lock(mutex_);
  for (const PlanResume& plan : state_->resume(durable)) {
    for (const std::string& table : plan.tables) {
      const auto progress = plan.progress.find(table);
      auto run = std::make_unique<TableRun>();
      run->plan = plan.id;
      std::tie(run->source.schema, run->source.table) = split_qualified(table);
      if (progress != plan.progress.end()) {
        run->finished = progress->second.done;
        run->next_after = progress->second.after;
        run->handed_after = progress->second.after;
        run->emitted_after = progress->second.after;
      }
      runs_.push_back(std::move(run));
    }
    if (plan.id != kInitialPlan) planned_requests_.push_back(plan.id);
  }
  initial_pending_ = config_.snapshot != SnapshotMode::Never && !state_->has_plan(kInitialPlan);
  const bool work = initial_pending_ || std::any_of(runs_.begin(), runs_.end(),
                                                    [](const auto& run) { return !run->finished; });
  if (work) spawn_workers_locked();
}

void SnapshotCoordinator::spawn_workers_locked() {
  if (!workers_.empty()) return;
  const int workers = std::max(1, config_.snapshot_workers);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_main(); });
}

// ---- stream thread ------------------------------------------------------------------------------

std::shared_ptr<Chunk> SnapshotCoordinator::chunk(std::string_view content, char* mark) {
  // "<token>:<chunk id>:<L|H>"
  const size_t first = content.find(':');
  const size_t last = content.rfind(':');
  if (first == std::string_view::npos || last == first || last + 2 != content.size()) return nullptr;
  if (content.substr(0, first) != token_) return nullptr;
  uint64_t id = 0;
  for (char c : content.substr(first + 1, last - first - 1)) {
    if (c < '0' || c > '9') return nullptr;
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  *mark = content.back();
  std::lock_guard lock(mutex_);
  const auto it = chunks_.find(id);
  return it == chunks_.end() ? nullptr : it->second;
}

void SnapshotCoordinator::request(const std::string& id, const std::vector<std::string>& patterns) {
  std::lock_guard lock(mutex_);
  if (std::find(planned_requests_.begin(), planned_requests_.end(), id) !=
      planned_requests_.end()) {
    return;  // already planned (a redelivery after a restart)
  }
  planned_requests_.push_back(id);
  requests_.emplace_back(id, patterns);
  if (state_) spawn_workers_locked();
  work_.notify_all();
}

bool SnapshotCoordinator::in_turn(Chunk& chunk) {
  std::lock_guard lock(mutex_);
  TableRun* run = run_of(chunk.table);
  if (run == nullptr) return false;
  const bool in_flight = find_chunk(run->in_flight, chunk) != run->in_flight.end();
  if (in_flight && chunk.after == run->next_after) return true;
  if (in_flight) give_up_all_locked(*run);  // an earlier chunk was cut short or given up
  return false;
}

void SnapshotCoordinator::chunk_emitted(Chunk& chunk, uint64_t rows, bool complete,
                                        std::optional<KeyValues> last_seen,
                                        EventPosition last_position) {
  std::lock_guard lock(mutex_);
  {
    std::lock_guard chunk_lock(chunk.mutex);
    chunk.emitted = complete;
    if (!complete) chunk.aborted = true;
    chunk.changed.notify_all();
  }
  TableRun* run = run_of(chunk.table);
  if (run == nullptr) return;
  if (rows > 0) {
    run->emitted_after = last_seen;
    run->last_position = last_position;
  }
  if (!complete) {
    if (last_seen) run->next_after = std::move(last_seen);
    give_up_all_locked(*run);  // the later chunks start where this one was meant to end
    return;
  }
  const auto delivered = find_chunk(run->in_flight, chunk);
  if (delivered != run->in_flight.end()) run->in_flight.erase(delivered);
  if (chunk.range_end) run->next_after = chunk.range_end;
  if (chunk.last_of_table) finish_run_locked(*run);
}

void SnapshotCoordinator::abort(Chunk& chunk) {
  std::lock_guard lock(mutex_);
  TableRun* run = run_of(chunk.table);
  if (run != nullptr && give_up_locked(*run, chunk, run->next_after)) return;
  std::lock_guard chunk_lock(chunk.mutex);
  chunk.aborted = true;
  chunk.changed.notify_all();
}

bool SnapshotCoordinator::give_up_locked(TableRun& run, const Chunk& from,
                                         std::optional<KeyValues> restart_after) {
  auto& flying = run.in_flight;
  const auto first = find_chunk(flying, from);
  if (first == flying.end()) return false;
  for (auto it = first; it != flying.end(); ++it) {
    std::lock_guard chunk_lock((*it)->mutex);
    (*it)->aborted = true;
    (*it)->changed.notify_all();
  }
  flying.erase(first, flying.end());
  restart_claims_locked(run, std::move(restart_after));
  return true;
}

void SnapshotCoordinator::give_up_all_locked(TableRun& run) {
  if (run.in_flight.empty()) {
    restart_claims_locked(run, run.next_after);
    return;
  }
  const std::shared_ptr<Chunk> first = run.in_flight.front();  // outlives its erasure
  give_up_locked(run, *first, run.next_after);
}

void SnapshotCoordinator::restart_claims_locked(TableRun& run, std::optional<KeyValues> after) {
  run.claim_after = std::move(after);
  run.all_claimed = false;
  ++run.claim_epoch;  // a bound being found meanwhile is stale
  work_.notify_all();
}

void SnapshotCoordinator::finish_run_locked(TableRun& run) {
  if (run.finished) return;
  run.finished = true;
  state_->append_done(run.plan, qualified(run.source.schema, run.source.table), run.last_position);
}

void SnapshotCoordinator::batch_handed_out(const ChangeBatch& batch) {
  if (batch.events.empty()) return;
  const std::string table = qualified(batch.snapshot_schema, batch.snapshot_table);
  std::lock_guard lock(mutex_);
  TableRun* run = run_of(table);
  if (run == nullptr) return;
  run->rows_done += batch.events.size();
  if (run->source.chunk_key.empty()) return;  // read whole: no progress within the table
  run->unacked.push_back(TableRun::Unacked{batch.batch_id, run->handed_after});
  run->handed_after = chunk_key_of(batch.events.back(), run->source.chunk_key);
  state_->append_progress(run->plan, table, batch.events, run->source.chunk_key);
}

void SnapshotCoordinator::acknowledged(uint64_t batch_id) {
  std::lock_guard lock(mutex_);
  for (auto& run : runs_) {
    auto& unacked = run->unacked;
    const auto it = std::find_if(unacked.begin(), unacked.end(),
                                 [batch_id](const auto& u) { return u.batch_id == batch_id; });
    if (it != unacked.end()) {
      unacked.erase(it);
      return;
    }
  }
}

void SnapshotCoordinator::rewind() {
  std::lock_guard lock(mutex_);
  for (auto& [id, chunk] : chunks_) {
    std::lock_guard chunk_lock(chunk->mutex);
    chunk->aborted = true;
    chunk->changed.notify_all();
  }
  for (auto& run : runs_) {
    const bool lost = !run->unacked.empty() || run->emitted_after != run->handed_after;
    if (!lost) continue;
    run->next_after = run->unacked.empty() ? run->handed_after : run->unacked.front().key_before;
    run->handed_after = run->next_after;
    run->emitted_after = run->next_after;
    run->unacked.clear();
    run->finished = false;
  }
  for (auto& run : runs_) give_up_all_locked(*run);  // their chunks were aborted above
  work_.notify_all();
}

bool SnapshotCoordinator::finished() const {
  std::lock_guard lock(mutex_);
  if (initial_pending_ || !requests_.empty() || planning_ > 0) return false;
  return std::all_of(runs_.begin(), runs_.end(), [](const auto& run) { return run->finished; });
}

void SnapshotCoordinator::rethrow_failure() {
  // Asked once per message the stream reads: the lock only once a worker has failed.
  if (!failed_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(mutex_);
  if (failure_) std::rethrow_exception(failure_);
}

std::vector<SnapshotTableProgress> SnapshotCoordinator::progress() const {
  std::lock_guard lock(mutex_);
  std::vector<SnapshotTableProgress> tables;
  for (const auto& run : runs_) {
    tables.push_back(SnapshotTableProgress{qualified(run->source.schema, run->source.table),
                                           run->rows_done, run->source.estimated_rows,
                                           run->finished});
  }
  return tables;
}

SnapshotCoordinator::TableRun* SnapshotCoordinator::run_of(const std::string& table) {
  TableRun* found = nullptr;
  for (auto& run : runs_) {
    if (qualified(run->source.schema, run->source.table) != table) continue;
    if (!run->finished) return run.get();
    found = run.get();
  }
  return found;
}

// ---- workers ------------------------------------------------------------------------------------

SnapshotCoordinator::ClearedOnExit::~ClearedOnExit() {
  std::lock_guard lock(self.mutex_);
  flag = false;
  self.work_.notify_all();
}

void SnapshotCoordinator::fail(std::exception_ptr error) {
  std::lock_guard lock(mutex_);
  if (!failure_) failure_ = std::move(error);
  failed_.store(true, std::memory_order_release);
}

std::optional<SnapshotCoordinator::Claim> SnapshotCoordinator::claim_locked() {
  const size_t chunks_per_table = static_cast<size_t>(std::max(1, config_.snapshot_workers));
  for (auto& run : runs_) {
    if (run->finished) continue;
    if (!run->prepared) {
      if (run->preparing) continue;
      run->preparing = true;
      return Claim{run.get(), /*prepare=*/true, std::nullopt, 0};
    }
    if (run->bounding || run->all_claimed || run->in_flight.size() >= chunks_per_table) continue;
    run->bounding = true;
    return Claim{run.get(), /*prepare=*/false, run->claim_after, run->claim_epoch};
  }
  return std::nullopt;
}

void SnapshotCoordinator::add_plan_locked(const std::string& id,
                                          const std::vector<pg::SnapshotTable>& tables) {
  std::vector<std::string> names;
  for (const pg::SnapshotTable& table : tables) {
    const std::string name = qualified(table.schema, table.table);
    TableRun* running = run_of(name);
    if (running != nullptr && !running->finished) {
      config_.log(fmt::format("snapshot {}: {} is being read already; not read twice", id, name));
      continue;
    }
    auto run = std::make_unique<TableRun>();
    run->plan = id;
    run->source = table;
    run->resolved = true;
    runs_.push_back(std::move(run));
    names.push_back(name);
  }
  state_->append_plan(id, names);
}

std::string SnapshotCoordinator::published_by() const {
  return config_.plugin == Plugin::Pgoutput ? config_.publication_name : std::string();
}

void SnapshotCoordinator::plan_pending(pg::PgConnection& conn) {
  std::unique_lock lock(mutex_);
  bool via_root = false;
  if (initial_pending_) {
    initial_pending_ = false;  // this worker lists it; finished() waits for planning_
    ++planning_;
    lock.unlock();
    if (config_.plugin == Plugin::Pgoutput) {
      via_root = pg::publication_via_root(conn, config_.publication_name);
    }
    const auto tables = pg::snapshot_tables(conn, filter_, via_root, published_by());
    lock.lock();
    add_plan_locked(kInitialPlan, tables);
    --planning_;
    config_.log(fmt::format("snapshot: reading {} table(s)", tables.size()));
  }
  while (!requests_.empty()) {
    auto [id, patterns] = requests_.front();
    requests_.pop_front();
    ++planning_;
    lock.unlock();
    if (config_.plugin == Plugin::Pgoutput) {
      via_root = pg::publication_via_root(conn, config_.publication_name);
    }
    std::vector<pg::SnapshotTable> tables;
    for (pg::SnapshotTable& table :
         pg::snapshot_tables(conn, TableFilter(patterns), via_root, published_by())) {
      if (filter_.matches(table.schema, table.table)) {
        tables.push_back(std::move(table));
      } else {
        config_.log(fmt::format("snapshot request {}: {}.{} is outside this stream's tables "
                                "(--tables); not read. Add it to --tables (and the publication) "
                                "and restart the stream to capture it",
                                id, table.schema, table.table));
      }
    }
    if (tables.empty()) {
      config_.log(fmt::format("snapshot request {}: no captured table matches {}", id,
                              fmt::join(patterns, ", ")));
    }
    lock.lock();
    add_plan_locked(id, tables);
    --planning_;
  }
}

void SnapshotCoordinator::worker_main() {
  std::unique_ptr<pg::PgConnection> reader;
  std::unique_ptr<pg::PgConnection> marker;
  while (!stopping_.load()) {
    try {
      if (!reader) reader = std::make_unique<pg::PgConnection>(config_, pg::ConnectionKind::Regular);
      if (!marker) marker = std::make_unique<pg::PgConnection>(config_, pg::ConnectionKind::Regular);
      std::unique_lock lock(mutex_);
      if (initial_pending_ || !requests_.empty()) {
        lock.unlock();
        plan_pending(*reader);
        continue;
      }
      const std::optional<Claim> claim = claim_locked();
      if (!claim) {
        work_.wait_for(lock, kIdleWait);
        continue;
      }
      lock.unlock();
      work_on(*reader, *marker, *claim);
    } catch (const CdcError& e) {
      if (stopping_.load()) return;
      if (e.kind() == ErrorKind::Connection) {
        // The server restarted or the connection broke: the stream reconnects on its own; so do
        // the workers, and the chunk that was being read is read again.
        config_.log(fmt::format("snapshot: {}; reconnecting in {} s", e.what(),
                                kRetryWait.count()));
        reader.reset();
        marker.reset();
        std::this_thread::sleep_for(kRetryWait);
        continue;
      }
      fail(std::current_exception());
      return;
    } catch (...) {
      fail(std::current_exception());
      return;
    }
  }
}

void SnapshotCoordinator::work_on(pg::PgConnection& reader, pg::PgConnection& marker,
                                  const Claim& claim) {
  TableRun& run = *claim.run;
  try {
    if (claim.prepare) {
      prepare(reader, run);
    } else if (std::shared_ptr<Chunk> chunk = bound_chunk(reader, claim)) {
      read_chunk(reader, marker, run, chunk);
    }
  } catch (const CdcError& e) {
    if (e.kind() == ErrorKind::Connection) throw;
    const std::string table = qualified(run.source.schema, run.source.table);
    if (run.resolved && !pg::relation_exists(reader, run.source.oid)) {
      config_.log(fmt::format("snapshot: {} was dropped while being read; skipped (its rows are "
                              "gone; the rows read before the drop were delivered)",
                              table));
      std::lock_guard lock(mutex_);
      give_up_all_locked(run);
      finish_run_locked(run);
      return;
    }
    if (claim.prepare) throw;  // its errors name the table and the fix already
    throw CdcError(e.kind(),
                   fmt::format("the snapshot of {} failed: {}.{} Nothing acknowledged is lost: "
                               "once fixed, the next start resumes the snapshot where it stopped",
                               table, e.what(), failure_advice(e, reader.user())),
                   e.sqlstate(), e.lsn());
  }
}

void SnapshotCoordinator::prepare(pg::PgConnection& reader, TableRun& run) {
  const ClearedOnExit preparing{*this, run.preparing};
  if (!run.resolved) {
    bool via_root = false;
    if (config_.plugin == Plugin::Pgoutput) {
      via_root = pg::publication_via_root(reader, config_.publication_name);
    }
    auto found = pg::find_snapshot_table(reader, run.source.schema, run.source.table, via_root);
    std::lock_guard lock(mutex_);
    if (!found) {
      config_.log(fmt::format("snapshot: {}.{} no longer exists; skipped", run.source.schema,
                              run.source.table));
      run.finished = true;
      return;
    }
    run.source = std::move(*found);
    run.resolved = true;
  }
  pg::require_select(reader, run.source);
  std::optional<KeyValues> upper;
  if (!run.source.chunk_key.empty()) upper = pg::greatest_chunk_key(reader, run.source);
  std::lock_guard lock(mutex_);
  run.upper = std::move(upper);
  run.prepared = true;
  run.claim_after = run.next_after;
  if (!run.source.chunk_key.empty() && (!run.upper || run.next_after == run.upper)) {
    // Empty, or read up to its end already: rows added later come as inserts.
    finish_run_locked(run);
  }
}

std::shared_ptr<Chunk> SnapshotCoordinator::bound_chunk(pg::PgConnection& reader,
                                                        const Claim& claim) {
  TableRun& run = *claim.run;
  const ClearedOnExit bounding{*this, run.bounding};
  std::optional<KeyValues> end;
  bool last = true;
  const bool keyed = !run.source.chunk_key.empty();
  if (keyed && config_.snapshot_chunk_rows > 0) {
    end = pg::chunk_boundary(reader, run.source, claim.after, run.upper,
                             config_.snapshot_chunk_rows);
  }
  if (keyed) {
    last = !end || end == run.upper;
    if (!end) end = run.upper;
  }
  std::lock_guard lock(mutex_);  // released before `bounding` is cleared
  if (run.claim_epoch != claim.epoch || run.finished) return nullptr;  // given up meanwhile
  auto chunk = std::make_shared<Chunk>();
  chunk->id = next_chunk_++;
  chunk->plan = run.plan;
  chunk->table = qualified(run.source.schema, run.source.table);
  chunk->source = run.source;
  chunk->after = claim.after;
  chunk->range_end = end;
  chunk->last_of_table = last;
  chunks_[chunk->id] = chunk;
  run.in_flight.push_back(chunk);
  run.claim_after = std::move(end);
  run.all_claimed = last;
  return chunk;
}

bool SnapshotCoordinator::await_high_turn(TableRun& run, const Chunk& chunk) {
  std::unique_lock lock(mutex_);
  work_.wait(lock, [&] {
    if (stopping_.load()) return true;
    const auto mine = find_chunk(run.in_flight, chunk);
    return mine == run.in_flight.end() ||
           std::all_of(run.in_flight.cbegin(), mine, [](const auto& c) { return c->high_written; });
  });
  return !stopping_.load() && find_chunk(run.in_flight, chunk) != run.in_flight.end();
}

void SnapshotCoordinator::high_written(Chunk& chunk) {
  std::lock_guard lock(mutex_);
  chunk.high_written = true;
  work_.notify_all();
}

bool SnapshotCoordinator::read_chunk(pg::PgConnection& reader, pg::PgConnection& marker,
                                     TableRun& run, const std::shared_ptr<Chunk>& chunk) {
  // However the chunk ends: the stream no longer finds it, and if it was not delivered, it and
  // the later chunks of its table are claimed again from where it started.
  struct Release {
    SnapshotCoordinator& self;
    TableRun& run;
    const std::shared_ptr<Chunk>& chunk;
    bool delivered = false;
    ~Release() {
      std::lock_guard lock(self.mutex_);
      self.chunks_.erase(chunk->id);
      if (!delivered) self.give_up_locked(run, *chunk, chunk->after);
    }
  } release{*this, run, chunk};
  const std::string mark = fmt::format("{}:{}:", token_, chunk->id);
  try {
    pg::emit_snapshot_message(marker, mark + "L", false);
    pg::ChunkRead read(reader, run.source);
    const auto columns = pg::read_columns(reader, run.source.oid);
    if (columns.empty()) throw CdcError(ErrorKind::Server, "the table has no columns to read");
    auto shape = make_shape(run.source, columns);
    {
      std::lock_guard chunk_lock(chunk->mutex);
      chunk->snapshot = core::XidSnapshot::parse(read.snapshot());
      chunk->shape = shape;
    }
    // The chunks of a table reach the stream in key order: their high watermarks are in order.
    if (!await_high_turn(run, *chunk)) return false;
    pg::emit_snapshot_message(marker, mark + "H", false);
    high_written(*chunk);
    const int piece_rows =
        config_.snapshot_chunk_rows > 0
            ? static_cast<int>(std::min<int64_t>(kPieceRows, config_.snapshot_chunk_rows))
            : kPieceRows;
    // A chunk of chunk_rows rows is one COPY. A table read whole goes through a cursor, and so
    // does every chunk of a session with a statement_timeout: the worker waits for the stream
    // between pieces (its read-ahead is bounded), which inside one COPY would count against the
    // timeout; a FETCH per piece counts only the reading.
    const bool by_cursor = run.source.chunk_key.empty() || config_.snapshot_chunk_rows <= 0 ||
                           read.statement_timeout();
    read.start(pg::chunk_select(reader, run.source, shape->names, chunk->after, chunk->range_end, 0),
               by_cursor);
    const int column_count = static_cast<int>(shape->names.size());
    while (true) {
      std::shared_ptr<const pg::RowPiece> piece =
          read.next_piece(column_count, piece_rows, kPieceBytes);
      const int n = piece->rows();
      std::unique_lock chunk_lock(chunk->mutex);
      chunk->changed.wait(chunk_lock, [&] {
        return chunk->pieces.empty() || chunk->pieces_bytes < kAheadBytes || chunk->aborted ||
               stopping_.load();
      });
      if (chunk->aborted || stopping_.load()) return false;
      if (n > 0) {
        chunk->pieces_bytes += piece->memory_bytes();
        chunk->pieces.push_back(std::move(piece));
      }
      chunk->changed.notify_all();
      if (read.finished()) break;
    }
    read.commit();
    std::unique_lock chunk_lock(chunk->mutex);
    chunk->fetched_all = true;
    chunk->changed.notify_all();
    chunk->changed.wait(chunk_lock,
                        [&] { return chunk->emitted || chunk->aborted || stopping_.load(); });
    release.delivered = chunk->emitted;
    return chunk->emitted;
  } catch (const CdcError&) {
    std::lock_guard chunk_lock(chunk->mutex);
    chunk->error = std::current_exception();
    chunk->changed.notify_all();
    throw;
  }
}

}  // namespace sabot::engine

#include "engine/snapshot_merge.hpp"

#include <simdjson.h>

#include "pg/snapshot_queries.hpp"

namespace sabot::engine {

namespace {

constexpr std::string_view kWholeTable = "*";  // a truncate: every row of the chunk is stale

std::string qualified(std::string_view schema, std::string_view table) {
  std::string name(schema);
  name += '.';
  name += table;
  return name;
}

std::string_view text_of(const Column* column, bool& missing) {
  if (column == nullptr || column->unchanged_toast) {
    missing = true;
    return {};
  }
  return column->value.is_null() ? std::string_view() : column->value.text();
}

// The chunk key of a row given by `find` (name -> column), or "" when a part is missing.
template <typename Find>
std::string key_from(const std::vector<std::string>& key_names, Find find) {
  std::string key;
  for (const std::string& name : key_names) {
    bool missing = false;
    const Column* column = find(name);
    const std::string_view text = text_of(column, missing);
    if (missing) return {};
    core::append_key_part(key, column->value.is_null() ? nullptr : &text);
  }
  return key;
}

bool has_unchanged_toast(const ChangeEvent& event) {
  for (const Column& column : event.columns) {
    if (column.unchanged_toast) return true;
  }
  return false;
}

std::string whole_row_key(const std::vector<Column>& row) {
  std::string key;
  for (const Column& column : row) {
    const std::string_view text = column.value.is_null() ? std::string_view() : column.value.text();
    core::append_key_part(key, column.value.is_null() ? nullptr : &text);
  }
  return key;
}

std::string read_row_key(const pg::RowPiece& rows, int row, const ReadShape& shape) {
  std::string key;
  auto append = [&](size_t index) {
    const int column = static_cast<int>(index);
    if (rows.is_null(row, column)) {
      core::append_key_part(key, nullptr);
    } else {
      const std::string_view text = rows.get(row, column);
      core::append_key_part(key, &text);
    }
  };
  if (shape.chunk_key_index.empty()) {
    for (size_t i = 0; i < shape.names.size(); ++i) append(i);
  } else {
    for (size_t index : shape.chunk_key_index) append(index);
  }
  return key;
}

// {"request":"<id>","slot":"<slot>","tables":["pattern",...]}; false if not one.
bool parse_request(std::string_view content, std::string& id, std::string& slot,
                   std::vector<std::string>& tables) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(content.data(), content.size()).get(doc)) return false;
  std::string_view value;
  if (doc["request"].get_string().get(value)) return false;
  id = std::string(value);
  if (doc["slot"].get_string().get(value)) return false;
  slot = std::string(value);
  simdjson::dom::array list;
  if (doc["tables"].get_array().get(list)) return false;
  for (auto pattern : list) {
    if (!pattern.get_string().get(value)) tables.emplace_back(value);
  }
  return true;
}

}  // namespace

SnapshotMerge::SnapshotMerge(core::TransactionAssembler& assembler,
                             SnapshotCoordinator& coordinator, std::string slot)
    : assembler_(assembler), coordinator_(coordinator), slot_(std::move(slot)) {}

void SnapshotMerge::on_begin(const decode::TxBegin& begin) {
  current_xid_ = begin.xid;
  recent_.add(begin.xid);
  requests_.clear();
  assembler_.on_begin(begin);
}

void SnapshotMerge::on_change(ChangeEvent&& event) {
  if (event.op == Op::Message && event.message_prefix == pg::kSnapshotMessagePrefix) {
    std::string id, slot;
    std::vector<std::string> tables;
    if (parse_request(event.message_content, id, slot, tables) && slot == slot_) {
      requests_.emplace_back(std::move(id), std::move(tables));
    }
    return;  // ours: not for the consumer
  }
  if (!windows_.empty()) note_change(event);
  assembler_.on_change(std::move(event));
}

void SnapshotMerge::on_commit(const decode::TxCommit& commit) {
  assembler_.on_commit(commit);
  for (auto& [id, tables] : requests_) coordinator_.request(id, tables);
  requests_.clear();
}

void SnapshotMerge::on_message(ChangeEvent&& message) {
  if (message.message_prefix != pg::kSnapshotMessagePrefix) {
    assembler_.on_message(std::move(message));
    return;
  }
  on_watermark(message);
}

void SnapshotMerge::note_change(const ChangeEvent& event) {
  if (event.op != Op::Insert && event.op != Op::Update && event.op != Op::Delete &&
      event.op != Op::Truncate) {
    return;
  }
  const std::string table = qualified(event.schema, event.table);
  for (auto& [id, window] : windows_) {
    if (window.chunk->table != table) continue;
    if (event.op == Op::Truncate) {
      window.touched.note(current_xid_, std::string(kWholeTable));
      continue;
    }
    const std::vector<std::string>& key_names = window.chunk->source.chunk_key;
    if (key_names.empty()) {
      // Read whole: a change removes the row its old values name (REPLICA IDENTITY FULL).
      if (event.old) window.touched.note(current_xid_, whole_row_key(*event.old));
      continue;
    }
    if (event.op == Op::Update && has_unchanged_toast(event)) {
      window.touched.note_incomplete(current_xid_);
    }
    if (event.op != Op::Delete) {
      std::string key = key_from(key_names, [&](const std::string& n) { return event.column(n); });
      if (!key.empty()) window.touched.note(current_xid_, std::move(key));
    }
    if (event.old) {
      std::string key =
          key_from(key_names, [&](const std::string& n) { return event.old_column(n); });
      if (!key.empty()) window.touched.note(current_xid_, std::move(key));
    }
  }
}

void SnapshotMerge::forget_given_up_windows() {
  for (auto it = windows_.begin(); it != windows_.end();) {
    bool aborted = false;
    {
      std::lock_guard lock(it->second.chunk->mutex);
      aborted = it->second.chunk->aborted;
    }
    it = aborted ? windows_.erase(it) : std::next(it);
  }
}

void SnapshotMerge::on_watermark(const ChangeEvent& message) {
  // A chunk given up before its high watermark (an earlier chunk of its table is read again, its
  // worker lost its connection) never reaches it: its window would stay open for good.
  forget_given_up_windows();
  char mark = 0;
  std::shared_ptr<Chunk> chunk = coordinator_.chunk(message.message_content, &mark);
  if (!chunk || mark != 'H') {
    if (chunk && mark == 'L') windows_[chunk->id] = Window{chunk, {}, recent_.count()};
    assembler_.consume_position(message.lsn);
    return;
  }
  auto it = windows_.find(chunk->id);
  if (it == windows_.end()) {  // its low watermark came before a reconnect: read again
    coordinator_.abort(*chunk);
    assembler_.consume_position(message.lsn);
    return;
  }
  Window window = std::move(it->second);
  windows_.erase(it);
  start_emission(std::move(chunk), std::move(window), message.lsn);
}

void SnapshotMerge::start_emission(std::shared_ptr<Chunk> chunk, Window window, Lsn lsn) {
  if (!coordinator_.in_turn(*chunk)) {
    // An earlier chunk of the table was cut short or is read again: so is this one, after it.
    assembler_.consume_position(lsn);
    return;
  }
  core::XidSnapshot snapshot;
  std::shared_ptr<const ReadShape> shape;
  {
    std::lock_guard lock(chunk->mutex);
    snapshot = chunk->snapshot;
    shape = chunk->shape;
  }
  if (!shape || core::ChunkWindow::raced(snapshot, recent_, window.low_mark) ||
      window.touched.lacks_values(snapshot)) {
    // A transaction was committing while the snapshot was taken, or one the snapshot does not
    // see sent a row without all its values: read the chunk again.
    coordinator_.abort(*chunk);
    assembler_.consume_position(lsn);
    return;
  }
  Emission emission;
  emission.superseded = window.touched.superseded(snapshot);
  // A message's LSN is the end of its record, where the next record — perhaps the commit of the
  // next transaction — starts: so the reads take the position just before it, after every
  // transaction before the watermark and before every one after it.
  emission.begin.commit_lsn = Lsn(lsn.value() - 1);
  emission.watermark = lsn;
  emission.begin.commit_time = std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now());
  emission.begin.snapshot = true;
  emission.begin.snapshot_schema = shape->schema;
  emission.begin.snapshot_table = shape->table;
  emission.shape = std::move(shape);
  emission.chunk = std::move(chunk);
  assembler_.on_begin(emission.begin);
  emission_ = std::move(emission);
}

void SnapshotMerge::emit_some(std::chrono::milliseconds wait) {
  Chunk& chunk = *emission_->chunk;
  std::shared_ptr<const pg::RowPiece> piece;
  bool complete = false;
  bool failed = false;
  {
    std::unique_lock lock(chunk.mutex);
    chunk.changed.wait_for(lock, wait, [&] {
      return !chunk.pieces.empty() || chunk.fetched_all || chunk.error || chunk.aborted;
    });
    if (!chunk.pieces.empty()) {
      piece = std::move(chunk.pieces.front());
      chunk.pieces.pop_front();
      chunk.pieces_bytes -= piece->memory_bytes();
      chunk.changed.notify_all();
    } else if (chunk.fetched_all) {
      complete = true;
    } else if (chunk.error || chunk.aborted) {
      failed = true;
    }
  }
  if (piece) {
    emit_piece(piece);
  } else if (complete || failed) {
    finish_emission(complete);
    if (failed) coordinator_.rethrow_failure();
  }
}

void SnapshotMerge::emit_piece(const std::shared_ptr<const pg::RowPiece>& piece) {
  Emission& emission = *emission_;
  const ReadShape& shape = *emission.shape;
  const bool whole_table = emission.superseded.count(std::string(kWholeTable)) > 0;
  for (int row = 0; row < piece->rows(); ++row) {
    if (whole_table) continue;
    if (!emission.superseded.empty()) {
      auto it = emission.superseded.find(read_row_key(*piece, row, shape));
      if (it != emission.superseded.end() && it->second > 0) {
        --it->second;  // the stream already delivered a newer state of this row
        continue;
      }
    }
    ChangeEvent event;
    event.op = Op::Read;
    event.schema = shape.schema;
    event.table = shape.table;
    event.lsn = emission.begin.commit_lsn;
    event.key_columns = NameList(shape.key_names);
    event.columns.reserve(shape.names.size());
    for (size_t i = 0; i < shape.names.size(); ++i) {
      Column column;
      column.name = shape.names[i];
      column.type_oid = shape.type_oids[i];
      column.type_name = shape.type_names[i];
      const int index = static_cast<int>(i);
      column.value = piece->is_null(row, index) ? Value::null() : Value::view(piece->get(row, index));
      event.columns.push_back(std::move(column));
    }
    event.storage.names = emission.shape;
    event.storage.values = piece;
    assembler_.on_change(std::move(event));
    ++emission.rows;
  }
  // Where a chunk cut short resumes: after the last row looked at (delivered or superseded).
  const int last_row = piece->rows() - 1;
  if (last_row >= 0 && !shape.chunk_key_index.empty()) {
    KeyValues key;
    for (size_t index : shape.chunk_key_index) {
      key.push_back(piece->get_optional(last_row, static_cast<int>(index)));
    }
    emission.last_key = std::move(key);
  }
}

void SnapshotMerge::finish_emission(bool complete) {
  Emission emission = std::move(*emission_);
  emission_.reset();
  decode::TxCommit commit;
  commit.commit_lsn = emission.begin.commit_lsn;
  // Confirming the watermark's LSN covers the reads and nothing after them (the next
  // transaction's commit starts there, so the server still sends it).
  commit.end_lsn = emission.watermark;
  commit.commit_time = emission.begin.commit_time;
  assembler_.on_commit(commit);
  EventPosition last{emission.begin.commit_lsn,
                     emission.rows == 0 ? 0 : static_cast<uint32_t>(emission.rows - 1)};
  coordinator_.chunk_emitted(*emission.chunk, emission.rows, complete, emission.last_key, last);
}

void SnapshotMerge::reset() {
  windows_.clear();
  requests_.clear();
  emission_.reset();
}

}  // namespace sabot::engine

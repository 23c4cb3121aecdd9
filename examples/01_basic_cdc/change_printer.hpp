// How example 01 shows a change: one header line per transaction, one line per insert and
// delete, and for an update the columns that changed, old → new. The diff needs the whole old
// row, which PostgreSQL sends only for tables with REPLICA IDENTITY FULL (set by the workload's
// schema); without it the update shows its new values and says why there is no diff.
#pragma once

#include <optional>
#include <sabot/sabot.hpp>
#include <string>
#include <vector>

namespace sabot::examples::basic {

struct ColumnChange {
  std::string column;
  std::optional<std::string> old_value;  // nullopt = NULL
  std::optional<std::string> new_value;
};

// The columns whose value differs between the old and the new row, in the new row's column
// order. Columns the server did not send (unchanged TOAST) did not change and are left out.
std::vector<ColumnChange> diff_columns(const std::vector<Column>& old_row,
                                       const std::vector<Column>& new_row);

// "BEGIN xid 745, commit 0/1A2B4F0 at 2026-11-26T01:29:12.672064Z (3 changes)"
std::string describe_transaction(uint32_t xid, Lsn commit_lsn, Timestamp commit_time,
                                 size_t changes);
// The lines for one event, each ending in '\n'. key_columns name the row in update and delete
// lines and are marked "primary key" in a SCHEMA line; empty = the event's own replica identity.
// (Every column is identity for a REPLICA IDENTITY FULL table, so a program that knows its
// table's key passes it.)
std::string describe_change(const ChangeEvent& event,
                            const std::vector<std::string>& key_columns = {});

}  // namespace sabot::examples::basic

#include "sabot/change_event.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace sabot {

std::string_view to_string(Op op) {
  switch (op) {
    case Op::Insert: return "insert";
    case Op::Update: return "update";
    case Op::Delete: return "delete";
    case Op::Truncate: return "truncate";
    case Op::Message: return "message";
    case Op::SchemaChange: return "schema_change";
    case Op::Read: return "read";
  }
  return "unknown";
}

std::string format_iso8601(Timestamp ts) {
  using namespace std::chrono;
  const auto day = floor<days>(ts);
  const year_month_day ymd(day);
  const hh_mm_ss<microseconds> tod(ts - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     tod.hours().count(), tod.minutes().count(), tod.seconds().count(),
                     tod.subseconds().count());
}

namespace {
const Column* find_column(const std::vector<Column>& columns, std::string_view name) {
  for (const Column& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}
}  // namespace

const Column* ChangeEvent::column(std::string_view name) const {
  return find_column(columns, name);
}

const Column* ChangeEvent::old_column(std::string_view name) const {
  return old ? find_column(*old, name) : nullptr;
}

}  // namespace sabot

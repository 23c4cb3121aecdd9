#include "base/column_pool.hpp"

#include <utility>

namespace sabot::base {

namespace {

thread_local std::vector<std::vector<Column>> kept;

void keep(std::vector<Column>& columns) {
  if (columns.capacity() == 0 || columns.capacity() > kKeptColumns ||
      kept.size() >= kKeptVectors) {
    return;
  }
  columns.clear();
  kept.push_back(std::move(columns));
}

}  // namespace

std::vector<Column> take_column_vector(size_t columns) {
  std::vector<Column> out;
  if (!kept.empty()) {
    out = std::move(kept.back());
    kept.pop_back();
  }
  out.reserve(columns);
  return out;
}

void give_back_columns(std::vector<ChangeEvent>& events) {
  for (ChangeEvent& event : events) {
    keep(event.columns);
    if (event.old) keep(*event.old);
  }
}

}  // namespace sabot::base

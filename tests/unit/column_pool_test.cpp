// Column vectors given back by a drained batch are reused for the next events (base/column_pool).
#include "base/column_pool.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace sabot;

namespace {

std::vector<ChangeEvent> events_with_columns(size_t count, size_t columns) {
  std::vector<ChangeEvent> events(count);
  for (ChangeEvent& e : events) {
    e.columns.resize(columns);
    e.old = std::vector<Column>(2);
  }
  return events;
}

}  // namespace

TEST(ColumnPool, AVectorGivenBackIsTakenAgainEmptyWithItsRoom) {
  std::vector<ChangeEvent> events = events_with_columns(1, 6);
  const Column* buffer = events.front().columns.data();
  events.front().old.reset();
  base::give_back_columns(events);
  EXPECT_TRUE(events.front().columns.empty());
  std::vector<Column> reused = base::take_column_vector(4);
  EXPECT_TRUE(reused.empty());
  EXPECT_EQ(reused.data(), buffer);
  EXPECT_GE(reused.capacity(), 6u);
  // Nothing kept: a new vector with the room asked for.
  std::vector<Column> fresh = base::take_column_vector(9);
  EXPECT_TRUE(fresh.empty());
  EXPECT_GE(fresh.capacity(), 9u);
}

TEST(ColumnPool, KeepsABoundedNumberOfSmallVectorsPerThread) {
  std::vector<ChangeEvent> wide = events_with_columns(1, base::kKeptColumns + 1);
  wide.front().old.reset();
  base::give_back_columns(wide);  // too large to keep
  EXPECT_EQ(base::take_column_vector(1).capacity(), 1u);

  // Twice the bound: the columns and the old image of each event.
  std::vector<ChangeEvent> many = events_with_columns(base::kKeptVectors, 2);
  base::give_back_columns(many);
  size_t reused = 0;
  for (size_t i = 0; i < base::kKeptVectors + 10; ++i) {
    reused += base::take_column_vector(1).capacity() > 1;
  }
  EXPECT_EQ(reused, base::kKeptVectors);
  // Another thread sees none of this thread's vectors.
  std::vector<ChangeEvent> more = events_with_columns(1, 5);
  base::give_back_columns(more);
  size_t other_capacity = 0;
  std::thread([&] { other_capacity = base::take_column_vector(1).capacity(); }).join();
  EXPECT_EQ(other_capacity, 1u);
}

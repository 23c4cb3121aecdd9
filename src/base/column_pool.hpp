// Column vectors kept for reuse: a drained batch gives its events' column vectors back, and the
// decoder takes them for the next events, so a stream that keeps up builds its events without an
// allocation per event (a batch frees its vectors all at once, more than malloc's per-thread cache
// holds, so each new vector would otherwise come from the allocator's slower bins).
//
// Per thread: what one thread gives back only that thread takes (the delivery runtime drains and
// decodes on one thread). Bounded: at most kKeptVectors vectors (a few batches' worth), each of
// at most kKeptColumns columns' capacity; the rest is freed as before. A kept vector may serve a
// narrower table later, so the bound is what it can hold back: under 2 MB.
#pragma once

#include <cstddef>
#include <vector>

#include "sabot/change_event.hpp"

namespace sabot::base {

inline constexpr size_t kKeptVectors = 512;
inline constexpr size_t kKeptColumns = 64;

// An empty vector with room for `columns` columns: one given back on this thread if there is one.
std::vector<Column> take_column_vector(size_t columns);
// Keeps the column vectors of `events` (new and old columns) for take_column_vector(), emptied
// (the events they are taken from are left without those columns); vectors beyond the bounds
// stay where they are.
void give_back_columns(std::vector<ChangeEvent>& events);

}  // namespace sabot::base

#include "base/byte_arena.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sabot/change_event.hpp"

namespace sabot::base {
namespace {

TEST(ByteArena, CopiesOfOneRecordShareOneOwner) {
  ByteArena arena(64);
  arena.begin_record(10);
  const std::string_view a = arena.copy("abc");
  const std::string_view b = arena.copy_concat("\\x", "ff");
  EXPECT_EQ(a, "abc");
  EXPECT_EQ(b, "\\xff");
  EXPECT_EQ(b.data(), a.data() + 3);  // contiguous in the same chunk
  EXPECT_TRUE(arena.copy("").empty());
}

TEST(ByteArena, BytesOutliveTheArenaWhileAnOwnerIsHeld) {
  std::shared_ptr<const void> owner;
  std::string_view kept;
  {
    ByteArena arena(64);
    arena.begin_record(5);
    kept = arena.copy("hello");
    owner = arena.owner();
  }
  EXPECT_EQ(kept, "hello");  // under ASan a freed chunk would be reported here
}

TEST(ByteArena, ReusesItsChunkOnlyWhenNobodyElseHoldsIt) {
  ByteArena arena(64);
  arena.begin_record(4);
  const char* first = arena.copy("aaaa").data();
  // Nobody kept the owner: the next record starts over at the chunk's beginning.
  arena.begin_record(4);
  EXPECT_EQ(arena.copy("bbbb").data(), first);

  std::shared_ptr<const void> held = arena.owner();
  arena.begin_record(4);
  const std::string_view third = arena.copy("cccc");
  EXPECT_NE(third.data(), first);  // "bbbb" is still held: written after it
  EXPECT_EQ(std::string_view(first, 4), "bbbb");
}

TEST(ByteArena, ARecordThatOutgrowsItsReservationKeepsItsEarlierBytes) {
  ByteArena arena(16);
  arena.begin_record(4);
  const std::string_view early = arena.copy("0123");
  const std::string_view late = arena.copy(std::string(40, 'x'));  // does not fit: new chunk
  std::shared_ptr<const void> owner = arena.owner();
  arena.begin_record(4);
  arena.copy("next");  // must not overwrite `early`: the new chunk keeps the old one alive
  for (int i = 0; i < 8; ++i) {
    arena.begin_record(16);
    arena.copy(std::string(16, 'y'));
  }
  EXPECT_EQ(early, "0123");
  EXPECT_EQ(late, std::string(40, 'x'));
}

// What a decoder's storage.names holds: the table's names and its key column names.
struct TableNames {
  std::vector<std::string> names{"public", "orders", "id", "integer", "note", "text"};
  std::vector<std::string> keys{"id"};
};

ChangeEvent event_viewing(const std::shared_ptr<TableNames>& table,
                          const std::shared_ptr<std::string>& values) {
  ChangeEvent event;
  event.schema = table->names[0];
  event.table = table->names[1];
  event.columns.push_back(Column{table->names[2], 23, table->names[3],
                                 Value::view(std::string_view(*values).substr(0, 2))});
  event.columns.push_back(Column{table->names[4], 25, table->names[5], Value::null()});
  event.old = std::vector<Column>{event.columns[0]};
  event.key_columns = table->keys;
  event.storage.names = table;
  event.storage.values = values;
  return event;
}

void expect_intact(const ChangeEvent& event) {
  EXPECT_EQ(event.schema, "public");
  EXPECT_EQ(event.table, "orders");
  ASSERT_EQ(event.columns.size(), 2u);
  EXPECT_EQ(event.columns[0].name, "id");
  EXPECT_EQ(event.columns[0].type_name, "integer");
  EXPECT_EQ(event.columns[0].value.text(), "42");
  EXPECT_TRUE(event.columns[1].value.is_null());
  EXPECT_EQ((*event.old)[0].value.text(), "42");
  EXPECT_EQ(event.key_columns, std::vector<std::string>{"id"});
}

TEST(DetachEventStorage, TheEventNoLongerPinsTheSharedValueBuffer) {
  auto table = std::make_shared<TableNames>();
  auto values = std::make_shared<std::string>("42hello");
  ChangeEvent event = event_viewing(table, values);
  detach_event_storage(event);
  EXPECT_EQ(values.use_count(), 1);  // the event let go of the shared buffer
  values->assign(values->size(), '#');
  for (std::string& name : table->names) name.assign(name.size(), '#');  // names were copied too
  EXPECT_EQ(event.storage.names, table);  // the small shared description is kept, with its keys
  expect_intact(event);

  ChangeEvent copy = event;
  event = ChangeEvent{};  // the copy shares the storage and stays valid alone
  EXPECT_EQ(copy.columns[0].value.as_int64(), 42);
  EXPECT_EQ(copy.table, "orders");
}

TEST(DetachEventStorage, KeysWithoutANamesOwnerAreCopied) {
  ChangeEvent event;
  {
    auto table = std::make_shared<TableNames>();
    auto values = std::make_shared<std::string>("42hello");
    event = event_viewing(table, values);
    event.storage = EventStorage{};  // a hand-made event: nothing owns its views but the caller
    detach_event_storage(event);
    table->keys[0] = "##";
    for (std::string& name : table->names) name.assign(name.size(), '#');
    values->assign(values->size(), '#');
  }
  expect_intact(event);
}

TEST(DetachEventStorage, DetachingAgainFreesTheFirstCopy) {
  auto table = std::make_shared<TableNames>();
  auto values = std::make_shared<std::string>("42hello");
  ChangeEvent event = event_viewing(table, values);
  event.storage = EventStorage{};
  detach_event_storage(event);
  std::weak_ptr<const void> first_copy = event.storage.values;
  detach_event_storage(event);  // e.g. read back from a spill file, then held again
  EXPECT_TRUE(first_copy.expired());
  table->keys[0] = "##";
  expect_intact(event);
}

TEST(ValueOwnership, OwnedValuesAreIndependentOfWhatTheyCameFrom) {
  Value owned;
  {
    std::string text = "borrowed";
    const Value view = Value::view(text);
    EXPECT_EQ(view, Value::text("borrowed"));  // equality ignores ownership
    owned = view.owned();
    text.assign(text.size(), '#');
  }
  EXPECT_EQ(owned.text(), "borrowed");
  EXPECT_TRUE(Value().owned().is_null());
  EXPECT_NE(Value::text(""), Value::null());
}

TEST(ValueOwnership, CopiesShareOwnedTextAndMovesLeaveNull) {
  Value copy;
  {
    const Value original = Value::text(std::string(100, 'x'));
    copy = original;
    Value second(original);
    EXPECT_EQ(second.text().data(), original.text().data());  // shared, not copied
  }
  EXPECT_EQ(copy.text(), std::string(100, 'x'));  // the last owner keeps it alive

  Value moved = std::move(copy);
  EXPECT_TRUE(copy.is_null());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(moved.text().size(), 100u);
  moved = moved;  // NOLINT: self-assignment keeps the text
  EXPECT_EQ(moved.text().size(), 100u);
  moved = Value::text("short");
  EXPECT_EQ(moved.text(), "short");
  moved = Value::null();
  EXPECT_TRUE(moved.is_null());
  EXPECT_FALSE(Value::view(std::string_view()).is_null());  // an empty view is "", not NULL
  EXPECT_EQ(Value::view(std::string_view()).text(), "");
}

}  // namespace
}  // namespace sabot::base

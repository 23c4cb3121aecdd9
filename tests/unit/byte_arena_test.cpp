#include "core/byte_arena.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sabot/change_event.hpp"

namespace sabot::core {
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

TEST(DetachEventStorage, TheEventOwnsEverythingItViews) {
  ChangeEvent event;
  {
    auto names = std::make_shared<std::vector<std::string>>(
        std::vector<std::string>{"public", "orders", "id", "integer", "note", "text"});
    auto keys = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"id"});
    auto values = std::make_shared<std::string>("42hello");
    event.schema = (*names)[0];
    event.table = (*names)[1];
    event.columns.push_back(
        Column{(*names)[2], 23, (*names)[3], Value::view(std::string_view(*values).substr(0, 2))});
    event.columns.push_back(Column{(*names)[4], 25, (*names)[5], Value::null()});
    event.old = std::vector<Column>{event.columns[0]};
    event.key_columns = *keys;
    event.storage.names = names;
    event.storage.values = values;
    detach_event_storage(event);
    // Overwrite what the event pointed at before: a detached event must not see it.
    for (std::string& s : *names) s.assign(s.size(), '#');
    (*keys)[0] = "##";
    values->assign(values->size(), '#');
  }
  EXPECT_EQ(event.schema, "public");
  EXPECT_EQ(event.table, "orders");
  ASSERT_EQ(event.columns.size(), 2u);
  EXPECT_EQ(event.columns[0].name, "id");
  EXPECT_EQ(event.columns[0].type_name, "integer");
  EXPECT_EQ(event.columns[0].value.text(), "42");
  EXPECT_TRUE(event.columns[1].value.is_null());
  EXPECT_EQ((*event.old)[0].value.text(), "42");
  EXPECT_EQ(event.key_columns, std::vector<std::string>{"id"});

  ChangeEvent copy = event;
  event = ChangeEvent{};  // the copy shares the storage and stays valid alone
  EXPECT_EQ(copy.columns[0].value.as_int64(), 42);
  EXPECT_EQ(copy.table, "orders");
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
}  // namespace sabot::core

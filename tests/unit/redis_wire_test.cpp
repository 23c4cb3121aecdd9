// The Redis sink's wire text: commands in RESP, positions as fences and stream IDs, key values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sinks/redis/redis_keys.hpp"
#include "sinks/redis/resp_commands.hpp"

namespace sabot::sinks::redis {
namespace {

TEST(RespCommands, WritesArraysOfBulkStringsWithArgumentsAddedInPieces) {
  RespArgs keys;
  keys.add_joined({"cdc:public.t:", "7"});
  keys.add("");
  EXPECT_EQ(keys.count(), 2u);

  RespCommands commands;
  commands.command({"DEL", "k"});
  commands.begin(2 + keys.count());
  commands.add("EVALSHA");
  commands.add(uint64_t{1234567890123});
  commands.add_all(keys);
  EXPECT_EQ(commands.commands(), 2u);
  // RESP: *<n> then $<bytes> and the bytes of each argument, every line ended by CR LF.
  EXPECT_EQ(commands.text(),
            "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"
            "*4\r\n$7\r\nEVALSHA\r\n$13\r\n1234567890123\r\n$14\r\ncdc:public.t:7\r\n$0\r\n\r\n");
  commands.clear();
  EXPECT_EQ(commands.text(), "");
  EXPECT_EQ(commands.commands(), 0u);
}

TEST(RespCommands, ArgumentsAreBinarySafe) {
  RespCommands commands;
  const std::string value("a\r\n\0b", 5);
  commands.command({value});
  EXPECT_EQ(commands.text(), std::string("*1\r\n$5\r\na\r\n\0b\r\n", 15));
}

TEST(RedisPositions, FencesAreFixedWidthUpperHexAndStreamIdsDecimal) {
  const EventPosition position{Lsn(0x16B374D848ULL), 0x2A};
  EXPECT_EQ(fence_of(position), "00000016B374D8480000002A");
  EXPECT_EQ(stream_id_of(position), "97500059720-42");
  const EventPosition largest{Lsn(~0ULL), ~0U};
  EXPECT_EQ(fence_of(largest), "FFFFFFFFFFFFFFFFFFFFFFFF");
  EXPECT_EQ(stream_id_of(largest), "18446744073709551615-4294967295");
  // String order of fences is stream order.
  EXPECT_LT(fence_of({Lsn(0xFF), 9}), fence_of({Lsn(0x100), 0}));
  EXPECT_LT(fence_of({Lsn(0x100), 9}), fence_of({Lsn(0x100), 10}));
}

TEST(RedisKeys, SuffixesEscapeSeparatorsAndSplitBack) {
  const std::vector<std::string> values = {"a:b", "c\\d", "plain"};
  const std::string suffix = key_suffix(values);
  EXPECT_EQ(suffix, "a\\:b:c\\\\d:plain");
  EXPECT_EQ(split_key_suffix(suffix), values);
  std::string appended = "x:";
  append_key_value(appended, "1:2");
  EXPECT_EQ(appended, "x:1\\:2");
}

}  // namespace
}  // namespace sabot::sinks::redis

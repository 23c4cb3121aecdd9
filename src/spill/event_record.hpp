// One held event as a self-contained byte record (layout in event_record.cpp), so a store can
// write it to a file and read it back as the same event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sabot/change_event.hpp"

namespace sabot::spill {

// Replaces `out` with the record of `event` (Int32 body length, then the body); `subxid` is kept
// with it (the subtransaction that made the change, or any key the store's user needs).
void serialize_event_record(std::string& out, uint32_t subxid, const ChangeEvent& event);

// Reads one record body (without its length prefix) back; the event owns its bytes. Throws
// CdcError{Protocol} naming the field when the body is malformed (the store says where it was).
ChangeEvent parse_event_record(std::string_view body, uint32_t& subxid);

}  // namespace sabot::spill

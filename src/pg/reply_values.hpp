// Checked conversions of the text a server reply holds. A value that is not what the query
// promises is a CdcError{Server} naming the query and the value — never an exception of another
// type, never a silent 0.
#pragma once

#include <cstdint>
#include <string_view>

namespace sabot::pg {

int64_t reply_int(std::string_view text, std::string_view what);
// The same for a value that must fit an int (a PID, a timeline): larger is an error too.
int reply_int32(std::string_view text, std::string_view what);
double reply_double(std::string_view text, std::string_view what);

}  // namespace sabot::pg

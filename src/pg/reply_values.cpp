#include "pg/reply_values.hpp"

#include <charconv>

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot::pg {

namespace {

template <typename Number>
Number parse_whole(std::string_view text, std::string_view what, const char* expected) {
  Number value{};
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) {
    throw CdcError(ErrorKind::Server,
                   fmt::format("{}: the server answered '{}' where {} was expected", what, text,
                               expected));
  }
  return value;
}

}  // namespace

int64_t reply_int(std::string_view text, std::string_view what) {
  return parse_whole<int64_t>(text, what, "an integer");
}

int reply_int32(std::string_view text, std::string_view what) {
  return parse_whole<int>(text, what, "an integer of at most 32 bits");
}

double reply_double(std::string_view text, std::string_view what) {
  return parse_whole<double>(text, what, "a number");
}

}  // namespace sabot::pg

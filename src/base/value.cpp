#include "sabot/value.hpp"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot {

namespace {

[[noreturn]] void conversion_error(std::optional<std::string_view> text, const char* wanted) {
  if (!text) throw CdcError(ErrorKind::ValueConversion, fmt::format("NULL is not {}", wanted));
  throw CdcError(ErrorKind::ValueConversion, fmt::format("'{}' is not {}", *text, wanted));
}

int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

struct Value::OwnedText {
  std::atomic<uint32_t> references{1};
  std::string text;
};

void Value::retain(OwnedText* owned) noexcept {
  owned->references.fetch_add(1, std::memory_order_relaxed);
}

void Value::release(OwnedText* owned) noexcept {
  if (owned->references.fetch_sub(1, std::memory_order_acq_rel) == 1) delete owned;
}

Value Value::text(std::string text_form) {
  auto* owned = new OwnedText{};
  owned->text = std::move(text_form);
  Value value{std::string_view(owned->text)};
  value.owned_ = owned;
  return value;
}

std::string_view Value::text() const {
  if (is_null()) conversion_error(std::nullopt, "a text value");
  return text_;
}

int64_t Value::as_int64() const {
  if (is_null()) conversion_error(std::nullopt, "an integer");
  int64_t out = 0;
  const char* first = text_.data();
  const char* last = first + text_.size();
  auto [ptr, ec] = std::from_chars(first, last, out);
  if (ec != std::errc() || ptr != last) conversion_error(text_, "an integer");
  return out;
}

double Value::as_double() const {
  if (is_null()) conversion_error(std::nullopt, "a number");
  const std::string_view t = text_;
  if (t == "NaN") return std::nan("");
  if (t == "Infinity") return HUGE_VAL;
  if (t == "-Infinity") return -HUGE_VAL;
  double out = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || ptr != t.data() + t.size()) conversion_error(text_, "a number");
  return out;
}

bool Value::as_bool() const {
  if (is_null()) conversion_error(std::nullopt, "a boolean");
  const std::string_view t = text_;
  if (t == "t" || t == "true") return true;
  if (t == "f" || t == "false") return false;
  conversion_error(text_, "a boolean");
}

std::vector<uint8_t> Value::as_bytes() const {
  if (is_null()) conversion_error(std::nullopt, "bytea");
  const std::string_view t = text_;
  if (t.size() < 2 || t[0] != '\\' || t[1] != 'x' || t.size() % 2 != 0) {
    conversion_error(text_, "bytea in hex form (\\x...)");
  }
  std::vector<uint8_t> out;
  out.reserve((t.size() - 2) / 2);
  for (size_t i = 2; i < t.size(); i += 2) {
    int hi = hex_nibble(t[i]);
    int lo = hex_nibble(t[i + 1]);
    if (hi < 0 || lo < 0) conversion_error(text_, "bytea in hex form (\\x...)");
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

}  // namespace sabot

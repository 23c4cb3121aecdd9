// Redis commands written straight into the wire form (RESP: an array of bulk strings), so a batch
// of commands is one buffer handed to hiredis at once, instead of a std::string per argument and
// hiredis formatting each command again.
//
// RespArgs holds arguments only (its count grows as they are added): the keys and row arguments
// of a script call, whose number is known only when the call is sealed. RespCommands holds whole
// commands: begin(n) then exactly n arguments, given one by one or as RespArgs.
//
// Plain values, not thread-safe. text() is valid until the next change.
#pragma once

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace sabot::sinks::redis {

class RespArgs {
 public:
  void add(std::string_view value) {
    put_header('$', value.size());
    text_.append(value);
    text_.append("\r\n", 2);
    ++count_;
  }
  void add(uint64_t value) {
    char digits[20];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    add(std::string_view(digits, static_cast<size_t>(end - digits)));
  }
  // One argument made of `parts` in a row (a key from its prefix and suffix), not built first.
  void add_joined(std::initializer_list<std::string_view> parts) {
    size_t size = 0;
    for (std::string_view part : parts) size += part.size();
    put_header('$', size);
    for (std::string_view part : parts) text_.append(part);
    text_.append("\r\n", 2);
    ++count_;
  }
  // Every argument of `other`, after these.
  void add_all(const RespArgs& other) {
    text_.append(other.text_);
    count_ += other.count_;
  }

  size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  const std::string& text() const { return text_; }
  void clear() {
    text_.clear();
    count_ = 0;
  }
  // clear(), and the memory given back when it holds more than `bytes` (after a huge value).
  void release_if_larger_than(size_t bytes) {
    clear();
    if (text_.capacity() > bytes) std::string().swap(text_);
  }

 protected:
  void put_header(char kind, size_t number) {
    char digits[20];
    const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
    text_.push_back(kind);
    text_.append(digits, static_cast<size_t>(end - digits));
    text_.append("\r\n", 2);
  }

  std::string text_;
  size_t count_ = 0;
};

class RespCommands : private RespArgs {
 public:
  // Starts a command of `arg_count` arguments (its name included); the caller adds them all.
  void begin(size_t arg_count) {
    put_header('*', arg_count);
    ++commands_;
  }
  // A whole command from its arguments.
  void command(std::initializer_list<std::string_view> args) {
    begin(args.size());
    for (std::string_view arg : args) add(arg);
  }
  using RespArgs::add;
  using RespArgs::add_all;
  using RespArgs::add_joined;
  using RespArgs::text;

  size_t commands() const { return commands_; }
  void clear() {
    RespArgs::clear();
    commands_ = 0;
  }
  void release_if_larger_than(size_t bytes) {
    RespArgs::release_if_larger_than(bytes);
    commands_ = 0;
  }

 private:
  size_t commands_ = 0;
};

}  // namespace sabot::sinks::redis

// Test support: checking that an action fails with the CdcError the caller is owed — its kind and
// a piece of its message — rather than merely with some CdcError.
//
//   EXPECT_TRUE(sabot::test::throws_cdc_error([&] { parse_redis_mode("append"); },
//                                             sabot::ErrorKind::Config, "unknown Redis mode"));
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sabot/error.hpp"

namespace sabot::test {

// Success when `action` throws a CdcError of `kind` whose message contains `fragment`. An empty
// fragment is refused (it would match every message), as is no error or another exception.
template <typename Action>
::testing::AssertionResult throws_cdc_error(Action&& action, ErrorKind kind,
                                            std::string_view fragment) {
  if (fragment.empty()) {
    return ::testing::AssertionFailure() << "empty message fragment: it would match anything";
  }
  try {
    action();
  } catch (const CdcError& e) {
    const std::string_view what = e.what();
    if (e.kind() != kind) {
      return ::testing::AssertionFailure() << "CdcError of kind " << to_string(e.kind())
                                           << ", expected " << to_string(kind) << ": " << what;
    }
    if (what.find(fragment) == std::string_view::npos) {
      return ::testing::AssertionFailure() << "missing '" << fragment << "' in: " << what;
    }
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "not a CdcError: " << e.what();
  }
  return ::testing::AssertionFailure()
         << "no error; expected " << to_string(kind) << " mentioning '" << fragment << "'";
}

}  // namespace sabot::test

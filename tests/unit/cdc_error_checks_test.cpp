// The test helper throws_cdc_error (tests/support/cdc_error_checks.hpp) fails whenever the error
// is not the one asked for, so the checks built on it can fail.
#include "cdc_error_checks.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using sabot::CdcError;
using sabot::ErrorKind;
using sabot::test::throws_cdc_error;

void config_error() {
  throw CdcError(ErrorKind::Config, "bad setting 'x'");
}

TEST(ThrowsCdcError, PassesOnlyForTheKindAndAFragmentOfTheMessage) {
  EXPECT_TRUE(throws_cdc_error(config_error, ErrorKind::Config, "setting 'x'"));
  EXPECT_FALSE(throws_cdc_error(config_error, ErrorKind::Protocol, "setting 'x'"));
  EXPECT_FALSE(throws_cdc_error(config_error, ErrorKind::Config, "setting 'y'"));
}

TEST(ThrowsCdcError, FailsOnAnEmptyFragmentNoErrorOrAnotherException) {
  EXPECT_FALSE(throws_cdc_error(config_error, ErrorKind::Config, ""));
  EXPECT_FALSE(throws_cdc_error([] {}, ErrorKind::Config, "setting"));
  EXPECT_FALSE(throws_cdc_error([] { throw std::runtime_error("bad setting"); }, ErrorKind::Config,
                                "setting"));
}

}  // namespace

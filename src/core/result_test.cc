#include "core/result.h"

#include <gtest/gtest.h>

namespace tenet::core {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return fail(Errc::kInvalidArgument, "must be positive");
  return v;
}

TEST(Result, HoldsValueOnSuccess) {
  auto r = parse_positive(3);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 3);
}

TEST(Result, HoldsCodeAndDetailOnFailure) {
  auto r = parse_positive(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(r.error().to_string(), "invalid argument: must be positive");
}

TEST(Result, WithContextPrefixesDetail) {
  Error e{Errc::kNotFound, "no such file"};
  EXPECT_EQ(std::move(e).with_context("loading ca.pem").detail, "loading ca.pem: no such file");
}

TEST(Result, VoidResultDefaultsToSuccess) {
  Result<void> ok;
  EXPECT_TRUE(ok);
  Result<void> bad = fail(Errc::kTimeout);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kTimeout);
}

}  // namespace
}  // namespace tenet::core

#include "bench/payload.h"

#include <gtest/gtest.h>

#include <vector>

namespace tenet::bench {
namespace {

TEST(Payload, HeaderRoundTrips) {
  std::vector<std::byte> buf(64, std::byte{'x'});
  const PayloadHeader h{0xbeef, 7, 0x0102030405060708ull, 0xfedcba9876543210ull};
  write_header(buf, h);
  EXPECT_EQ(read_header(buf, 0xbeef), h);
  EXPECT_EQ(buf[kPayloadHeaderSize], std::byte{'x'});  // filler untouched
}

TEST(Payload, LayoutIsLittleEndianWithMagicFirst) {
  std::vector<std::byte> buf(kPayloadHeaderSize);
  write_header(buf, PayloadHeader{0x0201, 3, 4, 5});
  EXPECT_EQ(buf[0], std::byte{'T'});
  EXPECT_EQ(buf[1], std::byte{'B'});
  EXPECT_EQ(buf[2], std::byte{1});
  EXPECT_EQ(buf[3], std::byte{2});
  EXPECT_EQ(buf[4], std::byte{3});
  EXPECT_EQ(buf[8], std::byte{4});
  EXPECT_EQ(buf[16], std::byte{5});
}

TEST(Payload, ForeignShortOrOtherRunPayloadsAreNotOurs) {
  std::vector<std::byte> buf(kPayloadHeaderSize);
  write_header(buf, PayloadHeader{9, 1, 2, 3});
  EXPECT_TRUE(read_header(buf, 9));
  EXPECT_FALSE(read_header(buf, 10));  // an earlier run's message still draining
  EXPECT_FALSE(read_header(std::span(buf).first(kPayloadHeaderSize - 1), 9));
  buf[0] = std::byte{'X'};
  EXPECT_FALSE(read_header(buf, 9));
}

}  // namespace
}  // namespace tenet::bench

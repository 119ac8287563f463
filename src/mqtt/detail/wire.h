#pragma once

// Private wire primitives shared by the MQTT decoder and encoder: the bounds-checked Reader, the
// pre-sized Writer, Variable Byte Integers (spec 1.5.5) and the property table (spec 2.2.2.2).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/bytes.h"
#include "core/errc.h"

namespace tenet::mqtt::detail {

using core::Bytes;

// The first decoding failure: a code and a static description (turned into core::Error once).
struct Failure {
  core::Errc code = core::Errc::kMalformed;
  const char* what = nullptr;
};

enum class VarintStatus : std::uint8_t { kOk, kIncomplete, kMalformed };

struct Varint {
  VarintStatus status = VarintStatus::kIncomplete;
  std::uint32_t value = 0;
  std::size_t length = 0;  // bytes used
};

// Reads a Variable Byte Integer from the front of `in`: at most 4 bytes, and the encoding must be
// minimal [MQTT-1.5.5-1] (a multi-byte encoding whose last byte is 0 is not).
inline Varint parse_varint(Bytes in) {
  Varint v;
  std::uint32_t multiplier = 1;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i >= in.size()) return v;  // kIncomplete
    const auto b = static_cast<std::uint8_t>(in[i]);
    v.value += (b & 0x7Fu) * multiplier;
    if ((b & 0x80u) == 0) {
      v.length = i + 1;
      v.status = (i > 0 && b == 0) ? VarintStatus::kMalformed : VarintStatus::kOk;
      return v;
    }
    multiplier <<= 7;
  }
  v.status = VarintStatus::kMalformed;  // a fifth byte would be needed
  return v;
}

constexpr std::size_t varint_size(std::uint32_t v) { return v < 128u ? 1 : v < 16'384u ? 2 : v < 2'097'152u ? 3 : 4; }

bool valid_utf8(std::string_view s);  // codec.cc; same as mqtt::valid_mqtt_utf8

// A cursor over one packet body. Reads past the end record kMalformed; after the first failure
// every read returns zero/empty and empty() is true, so loops end and only the first error counts.
class Reader {
 public:
  explicit Reader(Bytes in) : in_(in) {}

  bool ok() const { return failure_.what == nullptr; }
  bool empty() const { return pos_ >= in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }
  const Failure& failure() const { return failure_; }

  void fail(core::Errc code, const char* what) {
    if (ok()) failure_ = Failure{code, what};
    pos_ = in_.size();
  }
  void fail(const Failure& f) { fail(f.code, f.what); }
  void malformed(const char* what) { fail(core::Errc::kMalformed, what); }
  void violation(const char* what) { fail(core::Errc::kProtocolViolation, what); }

  std::uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint16_t u16() {
    if (!need(2)) return 0;
    const auto v =
        static_cast<std::uint16_t>((static_cast<unsigned>(in_[pos_]) << 8) | static_cast<unsigned>(in_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  std::uint32_t u32() {
    if (!need(4)) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint32_t>(in_[pos_ + i]);
    pos_ += 4;
    return v;
  }
  std::uint32_t varint() {
    const Varint v = parse_varint(in_.subspan(pos_));
    if (v.status != VarintStatus::kOk) {
      malformed(v.status == VarintStatus::kIncomplete ? "truncated variable byte integer"
                                                      : "invalid variable byte integer [MQTT-1.5.5-1]");
      return 0;
    }
    pos_ += v.length;
    return v.value;
  }
  Bytes take(std::size_t n) {
    if (!need(n)) return {};
    Bytes b = in_.subspan(pos_, n);
    pos_ += n;
    return b;
  }
  Bytes rest() { return take(remaining()); }
  // Binary Data: two-byte length, then the bytes (spec 1.5.6).
  Bytes binary() { return take(u16()); }
  // UTF-8 Encoded String (spec 1.5.4), validated [MQTT-1.5.4-1, -2].
  std::string_view utf8() {
    const std::string_view s = core::as_chars(binary());
    if (!valid_utf8(s)) {
      malformed("invalid UTF-8 string [MQTT-1.5.4-1, MQTT-1.5.4-2]");
      return {};
    }
    return s;
  }

 private:
  bool need(std::size_t n) {
    if (remaining() >= n) return true;
    malformed("packet body shorter than its fields");
    return false;
  }

  Bytes in_;
  std::size_t pos_ = 0;
  Failure failure_;
};

// Writes into memory that was sized beforehand (encode computes sizes first). No bounds checks:
// the size functions and the write functions must agree, which the round-trip tests and the fuzzer
// check.
class Writer {
 public:
  explicit Writer(std::byte* p) : p_(p) {}
  std::byte* pos() const { return p_; }

  void u8(std::uint8_t v) { *p_++ = std::byte{v}; }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void varint(std::uint32_t v) {
    do {
      std::uint8_t b = v & 0x7Fu;
      v >>= 7;
      if (v != 0) b |= 0x80u;
      u8(b);
    } while (v != 0);
  }
  void raw(Bytes b) {
    if (!b.empty()) std::memcpy(p_, b.data(), b.size());
    p_ += b.size();
  }
  // REQUIRES: b.size() <= 65535 (strings and binary data carry a two-byte length).
  void binary(Bytes b) {
    u16(static_cast<std::uint16_t>(b.size()));
    raw(b);
  }
  void utf8(std::string_view s) { binary(core::as_bytes(s)); }

 private:
  std::byte* p_;
};

// ---- MQTT 5 properties (spec 2.2.2.2) ----

enum class PropType : std::uint8_t { kNone, kByte, kU16, kU32, kVarint, kUtf8, kBinary, kPair };

// Value type of property `id`; kNone for identifiers the spec does not define.
PropType prop_type(std::uint32_t id);

// Where a property block appears; selects which identifiers are allowed.
enum class PropContext : std::uint8_t {
  kConnect,
  kConnAck,
  kPublish,
  kWill,
  kPubResponse,  // PUBACK, PUBREC, PUBREL, PUBCOMP
  kSubscribe,
  kSubAck,
  kUnsubscribe,
  kUnsubAck,
  kDisconnect,
  kAuth,
};

// Bit `id` is set if property `id` may appear in `ctx`.
std::uint64_t allowed_props(PropContext ctx);

}  // namespace tenet::mqtt::detail

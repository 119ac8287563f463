#include "broker/message.h"

#include <cstring>

namespace tenet::broker {
namespace {

void put_u16(std::string& s, std::size_t v) {
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
  s.push_back(static_cast<char>(v & 0xFF));
}
void put_str(std::string& s, std::string_view v) {
  put_u16(s, v.size());
  s.append(v);
}
std::size_t get_u16(std::string_view s, std::size_t at) {
  return (static_cast<std::uint8_t>(s[at]) << 8) | static_cast<std::uint8_t>(s[at + 1]);
}

}  // namespace

std::shared_ptr<const Message> Message::make(std::string_view topic, core::Bytes payload, const mqtt::Properties& p,
                                             mqtt::Qos qos, bool retain, std::int64_t expires_at_ms,
                                             const void* origin) {
  auto m = std::make_shared<Message>(Key{});
  std::size_t props_size = 0;
  if (p.payload_format_indicator) props_size += 2;
  if (p.content_type) props_size += 3 + p.content_type->size();
  if (p.response_topic) props_size += 3 + p.response_topic->size();
  if (p.correlation_data) props_size += 3 + p.correlation_data->size();
  for (auto [k, v] : p.user_properties) props_size += 5 + k.size() + v.size();
  m->buf_.reserve(topic.size() + payload.size() + props_size);
  m->buf_.append(topic);
  m->buf_.append(core::as_chars(payload));
  if (p.payload_format_indicator) {
    m->buf_.push_back(0x01);
    m->buf_.push_back(static_cast<char>(*p.payload_format_indicator));
  }
  if (p.content_type) {
    m->buf_.push_back(0x03);
    put_str(m->buf_, *p.content_type);
  }
  if (p.response_topic) {
    m->buf_.push_back(0x08);
    put_str(m->buf_, *p.response_topic);
  }
  if (p.correlation_data) {
    m->buf_.push_back(0x09);
    put_str(m->buf_, core::as_chars(*p.correlation_data));
  }
  for (auto [k, v] : p.user_properties) {
    m->buf_.push_back(0x26);
    put_str(m->buf_, k);
    put_str(m->buf_, v);
  }
  m->topic_len_ = static_cast<std::uint32_t>(topic.size());
  m->payload_len_ = static_cast<std::uint32_t>(payload.size());
  m->qos_ = qos;
  m->retain_ = retain;
  m->expires_at_ms_ = expires_at_ms;
  m->origin_ = origin;
  m->parse_props();
  return m;
}

std::shared_ptr<const Message> Message::restore(std::string_view topic, std::string_view payload,
                                                std::string_view props_block, mqtt::Qos qos, bool retain,
                                                std::int64_t expires_at_ms, std::uint64_t id) {
  auto m = std::make_shared<Message>(Key{});
  m->buf_.reserve(topic.size() + payload.size() + props_block.size());
  m->buf_.append(topic).append(payload).append(props_block);
  m->topic_len_ = static_cast<std::uint32_t>(topic.size());
  m->payload_len_ = static_cast<std::uint32_t>(payload.size());
  m->qos_ = qos;
  m->retain_ = retain;
  m->expires_at_ms_ = expires_at_ms;
  m->id_ = id;
  m->parse_props();
  return m;
}

std::shared_ptr<const Message> Message::with_retain(bool retain) const {
  auto m = std::make_shared<Message>(Key{}, *this);
  m->retain_ = retain;
  m->parse_props();  // views must point into the copy's buffer
  return m;
}

// The block is written by make() (or stored from it), so it is well-formed; a damaged stored block
// stops parsing at the first inconsistency rather than reading out of bounds.
void Message::parse_props() {
  payload_format_.reset();
  content_type_.reset();
  response_topic_.reset();
  correlation_data_.reset();
  user_props_ = {};
  const std::string_view block = props_block();
  std::size_t i = 0;
  std::size_t user_begin = std::string_view::npos;
  std::size_t user_end = 0;
  auto str_at = [&](std::size_t at, std::string_view& out) -> bool {
    if (at + 2 > block.size()) return false;
    std::size_t n = get_u16(block, at);
    if (at + 2 + n > block.size()) return false;
    out = block.substr(at + 2, n);
    return true;
  };
  while (i < block.size()) {
    const auto id = static_cast<std::uint8_t>(block[i]);
    std::string_view a, b;
    if (id == 0x01 && i + 1 < block.size()) {
      payload_format_ = static_cast<std::uint8_t>(block[i + 1]);
      i += 2;
    } else if ((id == 0x03 || id == 0x08 || id == 0x09) && str_at(i + 1, a)) {
      if (id == 0x03) content_type_ = a;
      if (id == 0x08) response_topic_ = a;
      if (id == 0x09) correlation_data_ = core::as_bytes(a);
      i += 3 + a.size();
    } else if (id == 0x26 && str_at(i + 1, a) && str_at(i + 3 + a.size(), b)) {
      if (user_begin == std::string_view::npos) user_begin = i;
      i += 5 + a.size() + b.size();
      user_end = i;
    } else {
      break;
    }
  }
  if (user_begin != std::string_view::npos) {
    user_props_ = core::as_bytes(block.substr(user_begin, user_end - user_begin));
  }
}

void Message::fill_properties(mqtt::Properties& out) const {
  out.payload_format_indicator = payload_format_;
  out.content_type = content_type_;
  out.response_topic = response_topic_;
  out.correlation_data = correlation_data_;
  out.user_properties = mqtt::UserProperties(user_props_);
}

}  // namespace tenet::broker

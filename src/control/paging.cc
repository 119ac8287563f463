#include "control/paging.h"

#include <charconv>

#include <boost/beast/core/detail/base64.hpp>

namespace tenet::control {
namespace {

namespace b64 = boost::beast::detail::base64;

std::string to_url(std::string s) {
  for (char& c : s) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::optional<std::string> from_url(std::string_view t) {
  std::string s(t);
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (!(std::isalnum(static_cast<unsigned char>(c)))) return std::nullopt;
  }
  const std::size_t data = s.size();
  if (data % 4 == 1) return std::nullopt;
  while (s.size() % 4 != 0) s.push_back('=');
  std::string out(b64::decoded_size(s.size()), '\0');
  auto [written, read] = b64::decode(out.data(), s.data(), s.size());
  if (read < data) return std::nullopt;
  out.resize(written);
  return out;
}

}  // namespace

std::string page_token(std::string_view listing, std::string_view last_key) {
  std::string plain = "v1\n" + std::string(listing) + "\n" + std::string(last_key);
  std::string out(b64::encoded_size(plain.size()), '\0');
  out.resize(b64::encode(out.data(), plain.data(), plain.size()));
  return to_url(std::move(out));
}

core::Result<Page> read_page(const Call& call, std::string_view listing, std::string_view token_name,
                             std::string_view size_name, std::size_t max_size) {
  Page p;
  p.limit = max_size;
  if (auto size = call.query_param(size_name)) {
    std::size_t n = 0;
    auto [ptr, ec] = std::from_chars(size->data(), size->data() + size->size(), n);
    if (ec != std::errc() || ptr != size->data() + size->size() || n < 1 || n > max_size) {
      return core::fail(core::Errc::kInvalidArgument,
                        std::string(size_name) + " must be an integer from 1 to " + std::to_string(max_size));
    }
    p.limit = n;
  }
  if (auto token = call.query_param(token_name); token && !token->empty()) {
    auto plain = from_url(*token);
    const std::string prefix = "v1\n" + std::string(listing) + "\n";
    if (!plain || plain->compare(0, prefix.size(), prefix) != 0) {
      return core::fail(core::Errc::kInvalidArgument, "invalid " + std::string(token_name) + " for this listing");
    }
    p.after = plain->substr(prefix.size());
  }
  return p;
}

}  // namespace tenet::control

#include "policy/detail/glob.h"

namespace tenet::policy::detail {
namespace {

constexpr char kLit = 0;
constexpr char kStar = 1;
constexpr char kOne = 2;

inline char fold(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

Glob Glob::literal(std::string_view s) {
  Glob g;
  g.append_literal(s);
  return g;
}

Glob Glob::parse(std::string_view pattern) {
  Glob g;
  for (char c : pattern) {
    if (c == '*') {
      g.append_star();
    } else if (c == '?') {
      g.append_one();
    } else {
      g.chars_.push_back(c);
      g.kinds_.push_back(kLit);
    }
  }
  return g;
}

void Glob::append_literal(std::string_view s) {
  chars_.append(s);
  kinds_.append(s.size(), kLit);
}

void Glob::append_star() {
  chars_.push_back('*');
  kinds_.push_back(kStar);
}

void Glob::append_one() {
  chars_.push_back('?');
  kinds_.push_back(kOne);
}

bool Glob::match(std::string_view a, std::string_view b, bool icase) const noexcept {
  return match_impl(0, chars_.size(), a, b, icase);
}

bool Glob::match_range(std::size_t begin, std::size_t end, std::string_view s) const noexcept {
  if (begin > end || end > chars_.size()) return false;
  return match_impl(begin, end, s, {}, false);
}

bool Glob::match_impl(std::size_t begin, std::size_t end, std::string_view a, std::string_view b,
                      bool icase) const noexcept {
  const std::size_t n = a.size() + b.size();
  const std::size_t m = end;
  auto at = [&](std::size_t i) noexcept { return i < a.size() ? a[i] : b[i - a.size()]; };
  std::size_t p = begin;
  std::size_t s = 0;
  std::size_t star = std::string::npos;
  std::size_t mark = 0;
  // Classic single-backtrack wildcard matching: O(n*m) worst case, linear for typical patterns.
  while (s < n) {
    if (p < m) {
      const char k = kinds_[p];
      if (k == kStar) {
        star = p++;
        mark = s;
        continue;
      }
      if (k == kOne) {
        ++p;
        ++s;
        continue;
      }
      const char pc = chars_[p];
      const char sc = at(s);
      if (pc == sc || (icase && fold(pc) == fold(sc))) {
        ++p;
        ++s;
        continue;
      }
    }
    if (star == std::string::npos) return false;
    p = star + 1;
    s = ++mark;
  }
  while (p < m && kinds_[p] == kStar) ++p;
  return p == m;
}

bool Glob::has_literal_prefix(std::string_view prefix) const noexcept {
  if (prefix.size() > chars_.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (kinds_[i] != kLit || chars_[i] != prefix[i]) return false;
  }
  return true;
}

Glob Glob::without_prefix(std::size_t n) const {
  Glob g;
  g.chars_ = chars_.substr(n);
  g.kinds_ = kinds_.substr(n);
  return g;
}

std::string Glob::to_policy_text() const {
  std::string out;
  out.reserve(chars_.size());
  for (std::size_t i = 0; i < chars_.size(); ++i) {
    const char c = chars_[i];
    if (kinds_[i] == kLit && (c == '*' || c == '?')) {
      out += "${";
      out += c;
      out += '}';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace tenet::policy::detail

#include "control/router.h"

#include <cassert>

namespace tenet::control {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

core::Result<std::string> decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) {
        return core::fail(core::Errc::kInvalidArgument, "truncated percent-escape in \"" + std::string(s) + "\"");
      }
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return core::fail(core::Errc::kInvalidArgument, "invalid percent-escape in \"" + std::string(s) + "\"");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

core::Result<std::string> percent_decode(std::string_view s) { return decode(s, false); }

core::Result<Fields> decode_query(std::string_view raw) {
  Fields out;
  while (!raw.empty()) {
    auto amp = raw.find('&');
    std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view{} : raw.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = decode(pair.substr(0, eq), true);
    if (!name) return core::propagate(std::move(name));
    std::string value;
    if (eq != std::string_view::npos) {
      auto v = decode(pair.substr(eq + 1), true);
      if (!v) return core::propagate(std::move(v));
      value = std::move(*v);
    }
    out.emplace_back(std::move(*name), std::move(value));
  }
  return out;
}

void Router::add(Route route) {
  assert(!route.uri.empty() && route.uri.front() == '/');
  Entry e;
  e.route = routes_.size();
  for (auto seg : split_path(route.uri)) {
    Segment s;
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      s.label = true;
      seg = seg.substr(1, seg.size() - 2);
      if (!seg.empty() && seg.back() == '+') {
        s.greedy = true;
        seg.remove_suffix(1);
      }
    } else {
      ++e.literals;
    }
    s.text = std::string(seg);
    e.segments.push_back(std::move(s));
  }
  routes_.push_back(std::move(route));
  entries_.push_back(std::move(e));
}

Router::Match Router::match(std::string_view method, std::string_view raw_path) const {
  const auto parts = split_path(raw_path);
  Match best;
  best.miss = Miss::kNoRoute;
  int best_literals = -1;
  bool path_matched = false;
  for (const auto& e : entries_) {
    Fields labels;
    bool ok = true;
    std::size_t i = 0;
    for (std::size_t s = 0; s < e.segments.size() && ok; ++s) {
      const Segment& seg = e.segments[s];
      if (seg.greedy) {
        if (i >= parts.size()) { ok = false; break; }
        std::string rest;
        for (std::size_t j = i; j < parts.size(); ++j) {
          auto d = percent_decode(parts[j]);
          if (!d) { ok = false; break; }
          if (j > i) rest.push_back('/');
          rest += *d;
        }
        if (!ok || rest.empty()) { ok = false; break; }
        labels.emplace_back(seg.text, std::move(rest));
        i = parts.size();
        continue;
      }
      if (i >= parts.size()) { ok = false; break; }
      if (seg.label) {
        if (parts[i].empty()) { ok = false; break; }
        auto d = percent_decode(parts[i]);
        if (!d) { ok = false; break; }
        labels.emplace_back(seg.text, std::move(*d));
      } else if (parts[i] != seg.text) {
        ok = false;
      }
      ++i;
    }
    if (!ok || i != parts.size()) continue;
    path_matched = true;
    const Route& r = routes_[e.route];
    if (r.method != method) continue;
    if (e.literals > best_literals) {
      best_literals = e.literals;
      best.route = &r;
      best.labels = std::move(labels);
      best.miss = Miss::kNone;
    }
  }
  if (best.route == nullptr && path_matched) best.miss = Miss::kMethodNotAllowed;
  return best;
}

}  // namespace tenet::control

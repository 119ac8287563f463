#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tenet::policy::detail {

// An IAM-style glob: `*` matches any run of characters (including `/` and `:`), `?` exactly one
// character; every other character, including MQTT `+` and `#`, is literal. A literal `*` or `?`
// (from the `${*}` / `${?}` escapes or a substituted value) is stored apart from the wildcards.
// match() never allocates. A value type; safe to share once built.
class Glob {
 public:
  Glob() = default;
  static Glob literal(std::string_view s);
  static Glob parse(std::string_view pattern);  // `*` and `?` are wildcards, nothing escapes

  void append_literal(std::string_view s);
  void append_star();
  void append_one();

  // Matches the concatenation a + b (so callers can match "<arn prefix>" + "<topic>" without
  // building the string). `icase` folds ASCII letters.
  bool match(std::string_view a, std::string_view b = {}, bool icase = false) const noexcept;
  // Matches only the pattern characters [begin, end) against `s` (case-sensitive).
  bool match_range(std::size_t begin, std::size_t end, std::string_view s) const noexcept;

  // The characters with wildcards shown as `*`/`?` (equality operators compare against this).
  std::string_view chars() const noexcept { return chars_; }
  // Whether the pattern starts with `prefix` made only of literal characters.
  bool has_literal_prefix(std::string_view prefix) const noexcept;
  Glob without_prefix(std::size_t n) const;
  bool has_wildcards() const noexcept { return kinds_.find_first_not_of('\0') != std::string::npos; }
  std::size_t size() const noexcept { return chars_.size(); }
  // The pattern as policy text: wildcards as `*`/`?`, literal stars/questions as `${*}`/`${?}`.
  std::string to_policy_text() const;

 private:
  bool match_impl(std::size_t begin, std::size_t end, std::string_view a, std::string_view b,
                  bool icase) const noexcept;
  std::string chars_;
  std::string kinds_;  // per char: 0 literal, 1 `*`, 2 `?`
};

}  // namespace tenet::policy::detail

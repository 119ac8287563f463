#include "authz/decision_log.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

namespace tenet::authz {
namespace {

namespace fs = std::filesystem;

std::string sha256_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string iso_ms(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string last_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

std::string_view effect_name(policy::Effect e) {
  switch (e) {
    case policy::Effect::kAllow:
      return "ALLOW";
    case policy::Effect::kExplicitDeny:
      return "EXPLICIT_DENY";
    case policy::Effect::kImplicitDeny:
      return "IMPLICIT_DENY";
  }
  return "IMPLICIT_DENY";
}

}  // namespace

core::Result<std::unique_ptr<DecisionLog>> DecisionLog::open(DecisionLogOptions options, const core::Clock& clock) {
  auto log = std::unique_ptr<DecisionLog>(new DecisionLog(std::move(options), clock));
  std::string last = last_line(log->options_.path);
  if (last.empty()) last = last_line(log->options_.path + ".1");
  if (!last.empty()) log->prev_ = sha256_hex(last);
  log->f_ = std::fopen(log->options_.path.c_str(), "ab");
  if (log->f_ == nullptr) {
    return core::fail(core::Errc::kUnavailable, "cannot open decision log " + log->options_.path,
                      std::error_code(errno, std::generic_category()));
  }
  std::error_code ec;
  fs::permissions(log->options_.path, fs::perms::owner_read | fs::perms::owner_write, ec);
  log->size_ = static_cast<std::uint64_t>(fs::file_size(log->options_.path, ec));
  return log;
}

DecisionLog::~DecisionLog() {
  if (f_ != nullptr) std::fclose(f_);
}

void DecisionLog::record(const Principal& who, Action action, std::string_view resource, const policy::Decision& d) {
  if (d.allowed() && !d.report_only_deny) {  // report-only denies are always logged
    if (options_.allow_sample_rate <= 0.0) return;
    // Deterministic sampling: one in every 1/rate allows.
    const auto every = static_cast<std::uint64_t>(1.0 / std::min(1.0, options_.allow_sample_rate));
    std::lock_guard lock(mu_);
    if (sample_counter_++ % std::max<std::uint64_t>(1, every) != 0) return;
  }
  boost::json::object o{{"time", iso_ms(clock_.unix_ms())},
                        {"principal", who.certificate_id},
                        {"client_id", who.client_id},
                        {"thing", who.thing_name},
                        {"action", to_string(action)},
                        {"resource", resource},
                        {"decision", effect_name(d.effect)}};
  if (d.decided_by) {
    o["policy"] = d.decided_by.policy->name();
    o["policy_version"] = d.decided_by.policy->version_id();
    o["statement"] = d.decided_by.statement;
  } else if (!d.allowed()) {
    o["reason"] = "no statement matched";
  }
  if (d.report_only_deny) {
    o["report_only_deny"] = boost::json::object{{"policy", d.report_only_deny.policy->name()},
                                                {"policy_version", d.report_only_deny.policy->version_id()},
                                                {"statement", d.report_only_deny.statement}};
  }
  std::lock_guard lock(mu_);
  o["prev"] = prev_;
  write_line(boost::json::serialize(o));
}

void DecisionLog::record_refusal(const Principal& who, Action action, std::string_view resource,
                                 std::string_view reason) {
  boost::json::object o{{"time", iso_ms(clock_.unix_ms())},
                        {"principal", who.certificate_id},
                        {"client_id", who.client_id},
                        {"thing", who.thing_name},
                        {"action", to_string(action)},
                        {"resource", resource},
                        {"decision", "IDENTITY_REFUSED"},
                        {"reason", reason}};
  std::lock_guard lock(mu_);
  o["prev"] = prev_;
  write_line(boost::json::serialize(o));
}

void DecisionLog::write_line(std::string line) {
  prev_ = sha256_hex(line);
  line.push_back('\n');
  if (size_ + line.size() > options_.max_bytes && size_ > 0) rotate();
  if (f_ == nullptr) return;
  std::fwrite(line.data(), 1, line.size(), f_);
  std::fflush(f_);  // visible to `tail -f` and shippers at once; denies are not the hot path
  size_ += line.size();
}

void DecisionLog::rotate() {
  std::fclose(f_);
  std::error_code ec;
  for (int i = options_.keep_files; i >= 1; --i) {
    const std::string from = i == 1 ? options_.path : options_.path + "." + std::to_string(i - 1);
    const std::string to = options_.path + "." + std::to_string(i);
    if (fs::exists(from, ec)) fs::rename(from, to, ec);
  }
  f_ = std::fopen(options_.path.c_str(), "ab");
  size_ = 0;
}

void DecisionLog::flush() {
  std::lock_guard lock(mu_);
  if (f_ != nullptr) std::fflush(f_);
}

VerifyReport verify_decision_log(const std::vector<std::string>& files) {
  VerifyReport r;
  std::string prev;
  bool first = true;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      r.ok = false;
      r.problem = "cannot read " + path;
      return r;
    }
    std::string line;
    std::uint64_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      boost::system::error_code ec;
      auto v = boost::json::parse(line, ec);
      if (ec || !v.is_object() || !v.as_object().contains("prev") || !v.at("prev").is_string()) {
        r.ok = false;
        r.problem = path + ":" + std::to_string(n) + ": not a decision-log line";
        return r;
      }
      const std::string claimed(v.at("prev").as_string());
      if (!first && claimed != prev) {
        r.ok = false;
        r.problem = path + ":" + std::to_string(n) + ": chain broken (a line before it was removed or changed)";
        return r;
      }
      first = false;
      prev = sha256_hex(line);
      ++r.lines;
    }
  }
  return r;
}

}  // namespace tenet::authz

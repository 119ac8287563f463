#pragma once

// The authorization decision log (docs/policy.md#decision-log): every deny, and a configurable
// sample of allows, as one JSON line with time, principal, client id, thing, action, resource,
// decision and the policy + version + statement that decided ("no statement matched" otherwise).
// Each line carries the SHA-256 of the previous line ("prev"), so removing or editing a line breaks
// the chain: `tenet log verify` checks it. Files rotate by size (decisions.log -> .1 -> .2 ...) and
// the chain continues across them. Thread-safe; a record costs one mutex and one buffered write.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "authz/authorizer.h"
#include "core/clock.h"
#include "core/result.h"
#include "policy/engine.h"

namespace tenet::authz {

struct DecisionLogOptions {
  std::string path;                        // e.g. DIR/decisions.log
  std::uint64_t max_bytes = 64ull << 20;   // rotate beyond this
  int keep_files = 5;                      // decisions.log.1 .. .N
  double allow_sample_rate = 0.0;          // fraction of allows logged (0..1)
};

class DecisionLog {
 public:
  // Opens (appending) and recovers the chain from the last line of the file. Errors: kUnavailable.
  static core::Result<std::unique_ptr<DecisionLog>> open(DecisionLogOptions options, const core::Clock& clock);
  ~DecisionLog();

  // Records one decision when it is a deny or a sampled allow.
  void record(const Principal& who, Action action, std::string_view resource, const policy::Decision& d);
  // Records a refusal decided before policies (identity: certificate unknown/inactive/revoked...).
  void record_refusal(const Principal& who, Action action, std::string_view resource, std::string_view reason);
  // Writes buffered lines to the file.
  void flush();
  const std::string& last_hash() const { return prev_; }

 private:
  DecisionLog(DecisionLogOptions o, const core::Clock& c) : options_(std::move(o)), clock_(c) {}
  void write_line(std::string line);  // REQUIRES: mu_ held
  void rotate();                      // REQUIRES: mu_ held

  DecisionLogOptions options_;
  const core::Clock& clock_;
  std::mutex mu_;
  std::FILE* f_ = nullptr;
  std::uint64_t size_ = 0;
  std::string prev_ = std::string(64, '0');
  std::uint64_t sample_counter_ = 0;
};

struct VerifyReport {
  std::uint64_t lines = 0;
  bool ok = true;
  std::string problem;  // which file and line broke the chain, and how
};

// Checks the chain over `files` in order (oldest first: decisions.log.N ... decisions.log).
VerifyReport verify_decision_log(const std::vector<std::string>& files);

}  // namespace tenet::authz

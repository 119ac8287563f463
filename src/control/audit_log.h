#pragma once

// The control plane's audit trail: one JSON object per line, appended to a file (DIR/audit.log)
// and flushed per line, so `tail -f` and log shippers see each event at once. Thread-safe.

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include <boost/json/object.hpp>

#include "core/result.h"

namespace tenet::control {

class AuditLog {
 public:
  // Opens `path` for appending (mode 0600). Errors: kUnavailable.
  static core::Result<std::unique_ptr<AuditLog>> open(const std::string& path);
  ~AuditLog();
  void write(const boost::json::object& event);

 private:
  explicit AuditLog(std::FILE* f) : f_(f) {}
  std::mutex mu_;
  std::FILE* f_;
};

}  // namespace tenet::control

#include "control/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <boost/json/serialize.hpp>

namespace tenet::control {

core::Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::fail(core::Errc::kUnavailable, "cannot open audit log " + path,
                      std::error_code(errno, std::generic_category()));
  }
  std::FILE* f = ::fdopen(fd, "a");
  if (f == nullptr) {
    ::close(fd);
    return core::fail(core::Errc::kUnavailable, "cannot open audit log " + path);
  }
  return std::unique_ptr<AuditLog>(new AuditLog(f));
}

AuditLog::~AuditLog() { std::fclose(f_); }

void AuditLog::write(const boost::json::object& event) {
  std::string line = boost::json::serialize(event);
  line.push_back('\n');
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), f_);
  std::fflush(f_);
}

}  // namespace tenet::control

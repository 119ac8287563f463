#include "pki/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace tenet::pki {
namespace {

std::error_code last_errno() { return {errno, std::system_category()}; }

core::Unexpected fail_errno(std::string_view what, const std::string& path) {
  const std::error_code cause = last_errno();
  const core::Errc code = cause.value() == ENOENT ? core::Errc::kNotFound : core::Errc::kUnavailable;
  return core::fail(code, std::string(what) + " " + path, cause);
}

// Closes on scope exit; close errors after a successful fsync carry no new information.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release_and_close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void reset() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
};

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  if (slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

}  // namespace

core::Result<void> write_file_atomic(const std::string& path, std::string_view contents,
                                     unsigned mode) {
  if (path.empty() || path.back() == '/') {
    return core::fail(core::Errc::kInvalidArgument, "write_file_atomic: not a file path: " + path);
  }
  if ((mode & ~07777u) != 0) {
    return core::fail(core::Errc::kInvalidArgument, "write_file_atomic: bad mode");
  }

  // mkostemp creates the file 0600 with O_EXCL, so nobody else can open it before fchmod.
  std::string tmp = path + ".tmp.XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) {
    // Missing directory or no permission: an environment failure, not "the file is missing".
    return core::fail(core::Errc::kUnavailable, "creating temporary file for " + path, last_errno());
  }
  bool renamed = false;
  struct Cleanup {
    const std::string& tmp;
    const bool& renamed;
    ~Cleanup() {
      if (!renamed) {
        ::unlink(tmp.c_str());
      }
    }
  } cleanup{tmp, renamed};

  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) {
    return core::fail(core::Errc::kUnavailable, "chmod " + tmp, last_errno());
  }
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return core::fail(core::Errc::kUnavailable, "writing " + tmp, last_errno());
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    return core::fail(core::Errc::kUnavailable, "fsync " + tmp, last_errno());
  }
  if (fd.release_and_close() != 0) {
    return core::fail(core::Errc::kUnavailable, "closing " + tmp, last_errno());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return core::fail(core::Errc::kUnavailable, "renaming " + tmp + " to " + path, last_errno());
  }
  renamed = true;

  // Make the rename itself durable; without this a crash can bring back the old file.
  const std::string dir = parent_dir(path);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) {
    return core::fail(core::Errc::kUnavailable, "fsync directory " + dir, last_errno());
  }
  return {};
}

core::Result<std::string> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return fail_errno("opening", path);
  }
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno("reading", path);
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<std::size_t>(n) > kMaxReadFileBytes) {
      return core::fail(core::Errc::kResourceExhausted,
                        path + " is larger than " + std::to_string(kMaxReadFileBytes) + " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace tenet::pki

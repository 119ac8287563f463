#pragma once

// Whole-file I/O for key material and certificates. Blocking: call from the store executor or at
// startup, never from a socket thread. Thread-safe (no shared state).

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tenet::pki {

// read_file refuses anything larger; PEM bundles are a few KiB.
inline constexpr std::size_t kMaxReadFileBytes = 16 * 1024 * 1024;

// Replaces `path` with `contents` so that readers see the old file or the new one, never a mix:
// writes a temporary file in the same directory created with permission bits `mode` (e.g. 0600
// for private keys; the umask does not apply), fsyncs it, renames it over `path`, then fsyncs the
// directory. On failure `path` is untouched and the temporary file is removed.
// Errors: kInvalidArgument (empty path or mode outside 07777), kUnavailable (cause = errno).
core::Result<void> write_file_atomic(const std::string& path, std::string_view contents,
                                     unsigned mode);

// The whole contents of `path`.
// Errors: kNotFound (ENOENT), kResourceExhausted (over kMaxReadFileBytes),
// kUnavailable (other errors; cause = errno).
core::Result<std::string> read_file(const std::string& path);

}  // namespace tenet::pki

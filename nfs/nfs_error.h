// The nfs/ layer's two errors: NfsError for a call that failed (it says the operation, the
// path when there is one, the server and the errno text, and whether trying again may help),
// and PathError for a relative path refused before any call was made.
#pragma once

#include <stdexcept>
#include <string>

namespace nfsprov::nfs {

class NfsError : public std::runtime_error {
 public:
  // err is a positive errno value (libnfs returns them negated).
  NfsError(std::string op, std::string path, std::string server, int err,
           const std::string& detail = {});

  const std::string& op() const { return op_; }
  const std::string& path() const { return path_; }
  const std::string& server() const { return server_; }
  int error_number() const { return errno_; }
  // Timeouts, EIO, lost connections: the same call may succeed later.
  // Any other errno (EACCES, EPERM, EROFS, ENOSPC, ENOTDIR, EEXIST, ...): it will not.
  bool retryable() const;

 private:
  std::string op_, path_, server_;
  int errno_;
};

// A relative path refused before any RPC was sent (empty, absolute, "..", NUL, too long).
class PathError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace nfsprov::nfs

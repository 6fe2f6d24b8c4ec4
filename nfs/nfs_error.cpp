#include "nfs/nfs_error.h"

#include <cerrno>
#include <cstring>
#include <system_error>

namespace nfsprov::nfs {
namespace {

std::string errno_name(int err) {
  // strerrorname_np (glibc >= 2.32) gives "EACCES": greppable in logs, unlike the text.
  const char* name = ::strerrorname_np(err);
  return name ? name : "errno " + std::to_string(err);
}

std::string describe(const std::string& op, const std::string& path, const std::string& server,
                     int err, const std::string& detail) {
  std::string m = "nfs " + op;
  if (!path.empty()) m += " '" + path + "'";
  m += " on " + server + ": " + std::system_category().message(err) + " (" + errno_name(err) + ")";
  if (!detail.empty()) m += ": " + detail;
  return m;
}

}  // namespace

NfsError::NfsError(std::string op, std::string path, std::string server, int err,
                   const std::string& detail)
    : std::runtime_error(describe(op, path, server, err, detail)),
      op_(std::move(op)),
      path_(std::move(path)),
      server_(std::move(server)),
      errno_(err) {}

bool NfsError::retryable() const {
  switch (errno_) {
    case EINTR:  // libnfs's timeout
    case ETIMEDOUT:
    case EIO:
    case EAGAIN:
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case ENOTCONN:
    case EPIPE:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ESTALE:  // a handle from before a server restart: a new mount gets fresh ones
      return true;
    default:
      return false;
  }
}

}  // namespace nfsprov::nfs

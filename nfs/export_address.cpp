#include "nfs/export_address.h"

namespace nfsprov::nfs {

std::string ExportAddress::url() const {
  // libnfs rejects "host:port" in the authority: ports go in the query instead.
  std::string u = "nfs://" + server + export_path + "?version=3";
  if (nfs_port > 0) u += "&nfsport=" + std::to_string(nfs_port);
  if (mount_port > 0) u += "&mountport=" + std::to_string(mount_port);
  if (uid) u += "&uid=" + std::to_string(*uid);
  if (gid) u += "&gid=" + std::to_string(*gid);
  if (tcp_syncnt > 0) u += "&tcp-syncnt=" + std::to_string(tcp_syncnt);
  return u;
}

std::string ExportAddress::display() const {
  return server + ":" + export_path;
}

std::string ExportAddress::key() const {
  return url() + "#timeout=" + std::to_string(timeout.count());
}

}  // namespace nfsprov::nfs

#include "nfs/values/export_address.h"

namespace nfsprov::nfs {

std::string server_problem(std::string_view server) {
  if (server.empty()) return "is empty";
  for (const char c : server) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
    if (!ok) return "is not a host name or IP address (only letters, digits, . - _ : [ ])";
  }
  return {};
}

std::string export_path_problem(std::string_view path) {
  if (!path.starts_with('/')) return "is not an absolute path";
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "contains a control character";
    if (c == '?' || c == '&' || c == '#' || c == '%' || c == '\\')
      return std::string("contains '") + c + "', which would turn the rest into NFS options";
  }
  return {};
}

std::string ExportAddress::problem() const {
  if (auto p = server_problem(server); !p.empty()) return "server \"" + server + "\" " + p;
  if (auto p = export_path_problem(export_path); !p.empty())
    return "export path \"" + export_path + "\" " + p;
  return {};
}

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

// Where an export lives and how to talk to it: the value that names one NFS export.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nfsprov::nfs {

// What makes text unusable as the server of a libnfs URL ("" when it is usable): a host name
// or an IP address only (letters, digits, '.', '-', '_', ':' and IPv6 brackets). Anything else
// ('?', '&', '#', '%', '/', '@', whitespace, control characters) could end the authority and
// start an option of our connection: "x?uid=0&a=" would make us root on the server.
std::string server_problem(std::string_view server);
// The same for an export path: absolute, and none of '?', '&', '#', '%', '\\' or control
// characters (libnfs would read the rest as options: "/export?version=4&a=").
std::string export_path_problem(std::string_view path);

struct ExportAddress {
  std::string server;       // host name or IP address, no port
  std::string export_path;  // the export as the server names it, e.g. "/home/data"
  int nfs_port = 0;         // 0: ask the server's portmapper
  int mount_port = 0;       // 0: ask the server's portmapper
  // AUTH_SYS identity presented to the server; unset means the process's own.
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  // Every RPC fails after this long: a frozen server must never hang a worker.
  std::chrono::milliseconds timeout{10000};
  // TCP SYN retries when connecting (Linux tcp_syncnt): 2 bounds a dead host to ~7 s.
  int tcp_syncnt = 2;

  // The libnfs URL, e.g. "nfs://127.0.0.1/export?nfsport=2049&mountport=20048&version=3".
  // Only meaningful when problem() is "": ExportClient refuses to connect otherwise.
  std::string url() const;
  // server_problem(server), else export_path_problem(export_path), else "".
  std::string problem() const;
  // "server:/export" for messages and metrics labels.
  std::string display() const;
  // Identity of the export for pooling: server, export, ports and identity.
  std::string key() const;

  bool operator==(const ExportAddress&) const = default;
};

}  // namespace nfsprov::nfs

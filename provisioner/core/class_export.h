// Which NFS export a StorageClass points at, and the provisioner-wide defaults it falls back to.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "nfs/values/export_address.h"
#include "provisioner/core/class_parameters.h"
#include "provisioner/core/refusal.h"

namespace nfsprov::core {

// From the environment/flags: PROVISIONER_NAME and NFS_SERVER/NFS_PATH (+ ports, identity,
// timeout) as one ExportAddress.
struct ProvisionerDefaults {
  std::string provisioner_name;
  nfs::ExportAddress export_address;
};

// The class's export. Class parameters (class_parameters.h; all optional):
//   server     NFS server host or IP (default: the provisioner's)
//   share      absolute export path (default: the provisioner's)
//   nfsPort    NFS port, 1..65535   \ for servers without a portmapper. When unset: the
//   mountPort  MOUNT port, 1..65535 / default export's ports if the server is the default
//              server, else 0 (ask the portmapper).
// timeout, tcp_syncnt and the AUTH_SYS uid/gid always come from the default export.
// Refused: empty/whitespace server or one with '/', a share that is not a clean absolute path,
// ports that are not integers in 1..65535.
Outcome<nfs::ExportAddress> class_export(const nlohmann::json* storage_class,
                                         const ProvisionerDefaults& defaults);

// The export server:share with ports chosen as above (class nfsPort/mountPort, else the
// default's when server is the default server, else 0); other fields from the default.
// The deletion planner uses it with the server and share a PV records.
Outcome<nfs::ExportAddress> export_at(std::string server, std::string share,
                                      const nlohmann::json* storage_class,
                                      const ProvisionerDefaults& defaults);

// An export path made canonical: "/a//b/" -> "/a/b", "/" stays "/"; nullopt when not
// absolute or when it has a ".." component.
std::optional<std::string> normalized_share(std::string_view share);

}  // namespace nfsprov::core

#include "provisioner/core/class_export.h"

#include "provisioner/core/class_parameters.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/path_pattern.h"

namespace nfsprov::core {
Outcome<nfs::ExportAddress> export_at(std::string server, std::string share,
                                      const nlohmann::json* storage_class,
                                      const ProvisionerDefaults& defaults) {
  auto nfs_port = port_parameter(storage_class, param::kNfsPort);
  if (auto* refusal = std::get_if<Refusal>(&nfs_port)) return *refusal;
  auto mount_port = port_parameter(storage_class, param::kMountPort);
  if (auto* refusal = std::get_if<Refusal>(&mount_port)) return *refusal;

  nfs::ExportAddress address = defaults.export_address;
  bool default_server = server == defaults.export_address.server;
  address.server = std::move(server);
  address.export_path = std::move(share);
  // Ports belong to the server, not the share: the default server keeps its known ports.
  const auto& nfs_given = std::get<std::optional<int>>(nfs_port);
  const auto& mount_given = std::get<std::optional<int>>(mount_port);
  address.nfs_port = nfs_given ? *nfs_given : default_server ? defaults.export_address.nfs_port : 0;
  address.mount_port = mount_given      ? *mount_given
                       : default_server ? defaults.export_address.mount_port
                                        : 0;
  return address;
}

Outcome<nfs::ExportAddress> class_export(const nlohmann::json* storage_class,
                                         const ProvisionerDefaults& defaults) {
  std::string server = defaults.export_address.server;
  if (auto given = class_parameter(storage_class, param::kServer)) {
    if (const auto problem = nfs::server_problem(*given); !problem.empty())
      return invalid_parameter(param::kServer, *given, problem);
    server = *given;
  }
  std::string share = defaults.export_address.export_path;
  if (auto given = class_parameter(storage_class, param::kShare)) {
    // Checked as given: normalizing first could hide a character that means something to libnfs.
    if (const auto problem = nfs::export_path_problem(*given); !problem.empty())
      return invalid_parameter(param::kShare, *given, problem);
    auto normal = normalized_share(*given);
    if (!normal) {
      return invalid_parameter(param::kShare, *given,
                               "is not an absolute export path without \"..\" (e.g. /srv/nfs)");
    }
    share = *normal;
  }
  return export_at(std::move(server), std::move(share), storage_class, defaults);
}

std::optional<std::string> normalized_share(std::string_view share) {
  if (!share.starts_with('/')) return std::nullopt;
  if (share.find_first_not_of('/') == std::string_view::npos) return "/";
  auto clean = clean_relative_path(share.substr(1), "share");
  if (const auto* path = std::get_if<std::string>(&clean)) return "/" + *path;
  return std::nullopt;
}

}  // namespace nfsprov::core

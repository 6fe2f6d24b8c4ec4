#include "provisioner/core/deletion_planner.h"

#include <algorithm>

#include "provisioner/base/host_port.h"
#include "provisioner/base/text.h"
#include "provisioner/core/annotations.h"
#include "provisioner/core/class_parameters.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/path_pattern.h"

namespace nfsprov::core {
namespace {

using nlohmann::json;

Refusal unsafe_path(std::string_view path, std::string_view why) {
  return {"UnsafePath", "PV path \"" + printable(path) + "\" " + std::string(why) +
                            "; its directory is left untouched"};
}

// Port recorded on the PV at provisioning time; 0 when absent.
Outcome<int> recorded_port(const json& pv, std::string_view key) {
  auto text = annotation_of(pv, key);
  if (!text) return 0;
  const auto port = base::parse_port(*text);
  if (!port || *port == 0) {
    return Refusal{"InvalidAnnotation", "PV annotation " + std::string(key) + " \"" +
                                            printable(*text) + "\" is not a port number"};
  }
  return *port;
}

Outcome<DeletionAction> action_for(const json* storage_class) {
  if (storage_class == nullptr) return DeletionAction::archive;
  const auto on_delete = choice_parameter<DeletionAction>(storage_class, param::kOnDelete,
                                                          {{"delete", DeletionAction::remove},
                                                           {"retain", DeletionAction::retain},
                                                           {"archive", DeletionAction::archive}},
                                                          "is not one of delete, retain, archive");
  if (auto* refusal = std::get_if<Refusal>(&on_delete)) return *refusal;
  if (const auto& action = std::get<std::optional<DeletionAction>>(on_delete)) return *action;
  const auto archive = bool_parameter(storage_class, param::kArchiveOnDelete);
  if (auto* refusal = std::get_if<Refusal>(&archive)) return *refusal;
  const auto& archive_given = std::get<std::optional<bool>>(archive);
  return archive_given.value_or(true) ? DeletionAction::archive : DeletionAction::remove;
}

}  // namespace

Outcome<VolumeLocation> volume_location(const json& pv, const json* storage_class,
                                        const ProvisionerDefaults& defaults) {
  const json& spec = field(pv, "spec");
  const json& nfs = field(spec, "nfs");
  std::string server = string_field(nfs, "server");
  std::string path = string_field(nfs, "path");
  if (server.empty() || path.empty()) {
    return Refusal{"NotNfs", "PV has no spec.nfs server and path"};
  }

  std::string share_text = annotation_of(pv, kShareAnnotation)
                               .value_or(class_parameter(storage_class, param::kShare)
                                             .value_or(defaults.export_address.export_path));
  auto share = normalized_share(share_text);
  if (!share) {
    return Refusal{"InvalidShare", "PV share \"" + printable(share_text) +
                                       "\" is not an absolute export path without \"..\""};
  }

  if (!path.starts_with('/')) return unsafe_path(path, "is not absolute");
  // Checked before cleaning: "/share/a/../../etc" must never resolve to anything.
  auto cleaned = clean_relative_path(path.substr(1), "PV path");
  if (auto* refusal = std::get_if<Refusal>(&cleaned)) {
    if (path.find_first_not_of('/') == std::string::npos) {
      return unsafe_path(path, "is the root of its share " + *share);
    }
    return *refusal;
  }
  std::string absolute = "/" + std::get<std::string>(cleaned);
  std::string directory;
  if (*share == "/") {
    directory = absolute.substr(1);
  } else if (absolute == *share) {
    return unsafe_path(path, "is the root of its share " + *share);
  } else if (absolute.starts_with(*share + "/")) {
    directory = absolute.substr(share->size() + 1);
  } else {
    return unsafe_path(path, "lies outside its share " + *share);
  }

  auto address = export_at(server, *share, storage_class, defaults);
  if (auto* refusal = std::get_if<Refusal>(&address)) return *refusal;
  auto nfs_port = recorded_port(pv, kNfsPortAnnotation);
  if (auto* refusal = std::get_if<Refusal>(&nfs_port)) return *refusal;
  auto mount_port = recorded_port(pv, kMountPortAnnotation);
  if (auto* refusal = std::get_if<Refusal>(&mount_port)) return *refusal;

  VolumeLocation where{std::get<nfs::ExportAddress>(address), std::move(directory)};
  if (int port = std::get<int>(nfs_port)) where.export_address.nfs_port = port;
  if (int port = std::get<int>(mount_port)) where.export_address.mount_port = port;
  return where;
}

DeletionPlanner::DeletionPlanner(ProvisionerDefaults defaults) : defaults_(std::move(defaults)) {}

DeletionDecision DeletionPlanner::plan(const json& pv, const json* storage_class) const {
  std::string owner = annotation_of(pv, kProvisionedBy).value_or("");
  if (owner != defaults_.provisioner_name) {
    return SkipDeletion{owner.empty() ? "PV was not dynamically provisioned"
                                      : "PV was provisioned by " + owner};
  }
  std::string phase = string_field(field(pv, "status"), "phase");
  if (phase != "Released") return SkipDeletion{"PV is not Released (phase " + phase + ")"};
  const json& spec = field(pv, "spec");
  std::string policy = string_field(spec, "persistentVolumeReclaimPolicy");
  if (policy != "Delete") return SkipDeletion{"PV reclaim policy is " + policy};

  auto location = volume_location(pv, storage_class, defaults_);
  if (auto* refusal = std::get_if<Refusal>(&location)) return *refusal;
  auto& where = std::get<VolumeLocation>(location);

  auto action = action_for(storage_class);
  if (auto* refusal = std::get_if<Refusal>(&action)) return *refusal;

  DeletionPlan plan{std::get<DeletionAction>(action),
                    std::move(where.export_address),
                    std::move(where.directory),
                    {}};
  if (plan.action == DeletionAction::archive)
    plan.archive_directory = archive_directory_for(plan.directory);
  return plan;
}

std::string archive_directory_for(std::string_view directory) {
  const auto slash = directory.rfind('/');
  const std::string parent =
      slash == std::string_view::npos ? "" : std::string(directory.substr(0, slash + 1));
  std::string name = "archived-" + std::string(directory.substr(slash + 1));
  // A long name must still be renameable, with room for the timestamped alternative; the
  // cut never splits a multi-byte UTF-8 character (a name from a label may hold any).
  if (name.size() > kMaxArchiveNameBytes) {
    std::size_t cut = kMaxArchiveNameBytes;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    name.resize(cut);
  }
  return parent + name;
}

std::string timestamped_archive_directory(std::string_view archive_directory,
                                          std::chrono::system_clock::time_point when) {
  // RFC 3339's basic format ("20261125T151828Z"): no ':' in a directory name.
  std::string stamp = base::utc_timestamp(when);
  std::erase_if(stamp, [](char c) { return c == '-' || c == ':'; });
  return std::string(archive_directory) + "-" + stamp;
}

}  // namespace nfsprov::core

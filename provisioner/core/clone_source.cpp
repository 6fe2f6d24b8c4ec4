#include "provisioner/core/clone_source.h"

#include "provisioner/core/annotations.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/quantity.h"

namespace nfsprov::core {
namespace {

using nlohmann::json;

Refusal unsupported(const std::string& what) {
  return Refusal{"UnsupportedDataSource",
                 what +
                     ": only a PersistentVolumeClaim in the claim's own namespace can be "
                     "cloned (snapshots and volume populators are not supported)"};
}

std::string describe(const json& source) {
  const std::string group = string_field(source, "apiGroup");
  return (group.empty() ? "" : group + "/") + string_field(source, "kind") + " \"" +
         printable(string_field(source, "name")) + "\"";
}

bool is_claim(const json& source) {
  return string_field(source, "kind") == "PersistentVolumeClaim" &&
         string_field(source, "apiGroup").empty() && !string_field(source, "name").empty();
}

}  // namespace

Outcome<std::optional<std::string>> clone_source_name(const json& claim) {
  const json& spec = field(claim, "spec");
  const json& source = field(spec, "dataSource");
  const json& ref = field(spec, "dataSourceRef");
  if (source.is_null() && ref.is_null()) return std::optional<std::string>{};
  // The API server copies one into the other; a client may still set only one of them.
  const json& given = source.is_null() ? ref : source;
  if (!is_claim(given)) return unsupported("claim dataSource " + describe(given));
  if (!ref.is_null()) {
    const std::string ns = string_field(ref, "namespace");
    if (!ns.empty() && ns != string_field(field(claim, "metadata"), "namespace"))
      return unsupported("claim dataSourceRef " + describe(ref) + " in namespace \"" +
                         printable(ns) + "\"");
    if (!is_claim(ref) || string_field(ref, "name") != string_field(given, "name"))
      return unsupported("claim dataSourceRef " + describe(ref) + " differs from its dataSource " +
                         describe(given));
  }
  return std::optional<std::string>{string_field(given, "name")};
}

Outcome<CloneSource> resolve_clone_source(const json& claim, std::uint64_t request_bytes,
                                          const json* source_claim, const json* source_pv,
                                          const json* source_class,
                                          const ProvisionerDefaults& defaults) {
  const json& meta = field(claim, "metadata");
  const std::string name = string_field(field(field(claim, "spec"), "dataSource"), "name");
  const std::string source_ref =
      string_field(meta, "namespace") + "/" +
      (name.empty() ? string_field(field(field(claim, "spec"), "dataSourceRef"), "name") : name);
  const std::string quoted = "source claim " + printable(source_ref);
  const auto not_ready = [&](const std::string& why) {
    return Refusal{kCloneSourceNotReady, quoted + " " + why + "; the clone waits for it"};
  };
  if (source_claim == nullptr) return not_ready("does not exist");
  if (!field(field(*source_claim, "metadata"), "deletionTimestamp").is_null())
    return Refusal{kCloneSourceNotReady, quoted + " is being deleted"};
  const std::string phase = string_field(field(*source_claim, "status"), "phase");
  const std::string volume = string_field(field(*source_claim, "spec"), "volumeName");
  if (phase != "Bound" || volume.empty())
    return not_ready("is not Bound (phase " + (phase.empty() ? "Pending" : phase) + ")");
  if (source_pv == nullptr) return not_ready("is Bound to volume " + volume + ", not seen yet");
  const std::string owner = annotation_of(*source_pv, kProvisionedBy).value_or("");
  if (owner != defaults.provisioner_name)
    return Refusal{"CloneSourceNotOurs",
                   quoted + " is on volume " + volume + ", which " +
                       (owner.empty() ? "was not provisioned dynamically"
                                      : "was provisioned by " + printable(owner)) +
                       ": only volumes of provisioner " + defaults.provisioner_name +
                       " can be cloned"};

  const std::string request =
      string_field(field(field(field(*source_claim, "spec"), "resources"), "requests"), "storage");
  // The API server validated the source's request; an odd one (a Refusal here) does not stop
  // the clone.
  if (!request.empty()) {
    const auto source_bytes = parse_quantity_bytes(request);
    const auto* bytes = std::get_if<std::uint64_t>(&source_bytes);
    if (bytes != nullptr && *bytes > request_bytes)
      return Refusal{"CloneRequestTooSmall",
                     "claim requests less storage than its " + quoted + " (" + request +
                         "): a clone must request at least as much as its source"};
  }
  auto location = volume_location(*source_pv, source_class, defaults);
  if (auto* refusal = std::get_if<Refusal>(&location))
    return Refusal{"CloneSourceNotOurs",
                   quoted + " is on volume " + volume +
                       ", whose directory cannot be used: " + refusal->message};
  return CloneSource{source_ref, volume, std::get<VolumeLocation>(std::move(location))};
}

}  // namespace nfsprov::core

#include "provisioner/core/expansion_planner.h"

#include <cstdint>
#include <initializer_list>
#include <optional>

#include "provisioner/core/annotations.h"
#include "provisioner/core/claim_filter.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/quantity.h"
#include "provisioner/core/volume_identity.h"

namespace nfsprov::core {
namespace {

using nlohmann::json;

ExpansionDecision none(std::string why) {
  return {ExpansionStep::none, {}, std::move(why)};
}

// The storage quantity at object.<path...>.storage (null when absent).
const json& storage_of(const json& object, std::initializer_list<std::string_view> path) {
  const json* at = &object;
  for (const auto key : path) at = &field(*at, key);
  return field(*at, "storage");
}

std::optional<std::uint64_t> bytes_of(const json& quantity) {
  if (!quantity.is_string()) return std::nullopt;
  const auto bytes = parse_quantity_bytes(quantity.get_ref<const std::string&>());
  if (const auto* value = std::get_if<std::uint64_t>(&bytes)) return *value;
  return std::nullopt;
}

}  // namespace

ExpansionDecision plan_expansion(const json& claim, const json* pv, const json* storage_class,
                                 std::string_view provisioner_name) {
  const json& meta = field(claim, "metadata");
  if (!field(meta, "deletionTimestamp").is_null()) return none("claim is being deleted");
  if (string_field(field(claim, "status"), "phase") != "Bound") return none("claim not Bound");
  const std::string volume = string_field(field(claim, "spec"), "volumeName");
  if (volume.empty()) return none("claim has no volumeName");
  if (!pv || string_field(field(*pv, "metadata"), "name") != volume)
    return none("volume " + volume + " not in the cache");
  if (string_field(field(field(*pv, "spec"), "claimRef"), "uid") != string_field(meta, "uid"))
    return none("volume " + volume + " is bound to another claim");
  if (!provisioned_by(*pv, provisioner_name))
    return none("volume " + volume + " was not provisioned by us");
  if (!storage_class || string_field(*storage_class, "provisioner") != provisioner_name)
    return none("class " + claim_class_name(claim) + " is not ours");

  const json& asked = storage_of(claim, {"spec", "resources", "requests"});
  const json& has = storage_of(claim, {"status", "capacity"});
  const json& volume_has = storage_of(*pv, {"spec", "capacity"});
  const auto asked_bytes = bytes_of(asked);
  const auto has_bytes = bytes_of(has);
  const auto volume_bytes = bytes_of(volume_has);
  if (!asked_bytes || !has_bytes || !volume_bytes)
    return none("a storage quantity of the claim or volume does not parse");
  // A request at or below what the claim has is no expansion. Kubernetes refuses a request
  // below status.capacity, and one below the PV's (after a failed expansion was taken back)
  // leaves the PV as it is: nothing of ours shrinks.
  if (*asked_bytes <= *has_bytes) return none("claim has what it requests");
  if (*volume_bytes < *asked_bytes)
    return {ExpansionStep::raise_volume, asked.get<std::string>(), {}};
  return {ExpansionStep::finish_claim, volume_has.get<std::string>(), {}};
}

std::string_view to_string(ExpansionStep step) {
  switch (step) {
    case ExpansionStep::none:
      return "none";
    case ExpansionStep::raise_volume:
      return "raise_volume";
    case ExpansionStep::finish_claim:
      return "finish_claim";
  }
  return "?";
}

}  // namespace nfsprov::core

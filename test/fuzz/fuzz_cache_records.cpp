// The informers' transforms (core/cache_records): any object the API server could send (a
// tenant writes claims, annotations included) becomes a record that loads back without
// throwing, and a compact record gives back exactly the fields the controller reads of it.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "provisioner/core/cache_records.h"
#include "provisioner/core/json_fields.h"

using nfsprov::core::annotation_of;
using nfsprov::core::field;
using nfsprov::core::string_field;
using nlohmann::json;

namespace {

constexpr const char* kOurs = "example.com/nfs";

std::string at(const json& object, std::initializer_list<const char*> path) {
  const json* node = &object;
  const char* last = nullptr;
  for (const char* step : path) {
    if (last) node = &field(*node, last);
    last = step;
  }
  return string_field(*node, last);
}

using Path = std::initializer_list<const char*>;

// Aborts unless a and b hold the same string (or none) at each path.
void same(const json& a, const json& b, std::initializer_list<Path> paths) {
  for (const Path& path : paths)
    if (at(a, path) != at(b, path)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json object = json::parse(data, data + size, nullptr, false);
  if (object.is_discarded()) return 0;

  const std::string volume = nfsprov::core::volume_record(object, kOurs);
  const json pv = nfsprov::core::load_record(volume);  // a throw is a finding
  if (nfsprov::core::is_compact_volume(volume)) {
    same(object, pv,
         {{"metadata", "name"},
          {"metadata", "uid"},
          {"metadata", "resourceVersion"},
          {"metadata", "deletionTimestamp"},
          {"spec", "storageClassName"},
          {"spec", "claimRef", "namespace"},
          {"spec", "claimRef", "name"},
          {"spec", "claimRef", "uid"},
          {"spec", "persistentVolumeReclaimPolicy"},
          {"spec", "capacity", "storage"},
          {"status", "phase"}});
    if (annotation_of(object, "pv.kubernetes.io/provisioned-by") !=
        annotation_of(pv, "pv.kubernetes.io/provisioned-by"))
      std::abort();
    if (nfsprov::core::volume_record_class(volume) != at(object, {"spec", "storageClassName"}))
      std::abort();
  }

  const std::string claim = nfsprov::core::claim_record(
      object, kOurs, [](const std::string& name) -> std::optional<std::string> {
        if (name == "ours") return kOurs;
        if (name.empty()) return std::nullopt;
        return "other.example.com/csi";
      });
  const json back = nfsprov::core::load_record(claim);
  if (nfsprov::core::is_compact(claim)) {
    same(object, back,
         {{"metadata", "name"},
          {"metadata", "namespace"},
          {"metadata", "uid"},
          {"metadata", "resourceVersion"},
          {"metadata", "deletionTimestamp"},
          {"spec", "storageClassName"},
          {"spec", "volumeName"},
          {"status", "phase"}});
  }
  nfsprov::core::record_class(claim);
  nfsprov::core::record_volume_name(claim);
  return 0;
}

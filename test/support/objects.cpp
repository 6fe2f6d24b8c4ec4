#include "test/support/objects.h"

namespace nfsprov::testing {

nlohmann::json claim_object(const std::string& ns, const std::string& name,
                            const std::string& class_name, const std::string& storage) {
  nlohmann::json claim = {{"apiVersion", "v1"},
                          {"kind", "PersistentVolumeClaim"},
                          {"metadata", {{"name", name}}},
                          {"spec",
                           {{"accessModes", {"ReadWriteMany"}},
                            {"resources", {{"requests", {{"storage", storage}}}}}}}};
  if (!ns.empty()) claim["metadata"]["namespace"] = ns;
  if (!class_name.empty()) claim["spec"]["storageClassName"] = class_name;
  return claim;
}

nlohmann::json nfs_volume_object(const std::string& name, const std::string& class_name) {
  nlohmann::json volume = {{"apiVersion", "v1"},
                           {"kind", "PersistentVolume"},
                           {"metadata", {{"name", name}}},
                           {"spec",
                            {{"capacity", {{"storage", "1Gi"}}},
                             {"accessModes", {"ReadWriteMany"}},
                             {"nfs", {{"server", "127.0.0.1"}, {"path", "/export/" + name}}}}}};
  if (!class_name.empty()) volume["spec"]["storageClassName"] = class_name;
  return volume;
}

}  // namespace nfsprov::testing

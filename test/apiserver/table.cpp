#include "test/apiserver/table.h"

#include <chrono>
#include <ctime>

namespace nfsprov::testing::apiserver {

using nlohmann::json;

namespace {

std::string age(const json& obj) {
  std::string ts = obj["metadata"].value("creationTimestamp", "");
  std::tm tm{};
  if (ts.empty() || !strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return "<unknown>";
  auto secs = std::time(nullptr) - timegm(&tm);
  if (secs < 120) return std::to_string(secs < 0 ? 0 : secs) + "s";
  if (secs < 7200) return std::to_string(secs / 60) + "m";
  if (secs < 172800) return std::to_string(secs / 3600) + "h";
  return std::to_string(secs / 86400) + "d";
}

std::string modes(const json& list) {
  std::string out;
  for (const auto& m : list) {
    std::string s = m.get<std::string>();
    std::string abbrev = s == "ReadWriteOnce"      ? "RWO"
                         : s == "ReadOnlyMany"     ? "ROX"
                         : s == "ReadWriteMany"    ? "RWX"
                         : s == "ReadWriteOncePod" ? "RWOP"
                                                   : s;
    out += (out.empty() ? "" : ",") + abbrev;
  }
  return out;
}

std::string str(const json& obj, const json::json_pointer& p) {
  return obj.contains(p) && obj[p].is_string() ? obj[p].get<std::string>() : "";
}

json column(const std::string& name) {
  return {{"name", name}, {"type", "string"}, {"format", ""}, {"description", ""}, {"priority", 0}};
}

}  // namespace

bool wants_table(const std::string& accept) {
  return accept.find("as=Table") != std::string::npos;
}

json to_table(const ResourceType& type, const std::vector<json>& objects,
              const std::string& resource_version) {
  std::vector<std::string> names;
  if (type.plural == "persistentvolumeclaims") {
    names = {"Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "Age"};
  } else if (type.plural == "persistentvolumes") {
    names = {"Name",   "Capacity", "Access Modes", "Reclaim Policy",
             "Status", "Claim",    "StorageClass", "Age"};
  } else if (type.plural == "storageclasses") {
    names = {"Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "Age"};
  } else if (type.plural == "namespaces") {
    names = {"Name", "Status", "Age"};
  } else {
    names = {"Name", "Age"};
  }
  json columns = json::array();
  for (const auto& n : names) columns.push_back(column(n));
  json rows = json::array();
  for (const auto& o : objects) {
    std::string name = o["metadata"].value("name", "");
    json cells;
    if (type.plural == "persistentvolumeclaims") {
      cells = {name,
               str(o, "/status/phase"_json_pointer),
               str(o, "/spec/volumeName"_json_pointer),
               str(o, "/status/capacity/storage"_json_pointer),
               modes(o["status"].value("accessModes", json::array())),
               str(o, "/spec/storageClassName"_json_pointer),
               age(o)};
    } else if (type.plural == "persistentvolumes") {
      std::string claim = str(o, "/spec/claimRef/name"_json_pointer);
      if (!claim.empty()) claim = str(o, "/spec/claimRef/namespace"_json_pointer) + "/" + claim;
      cells = {name,
               str(o, "/spec/capacity/storage"_json_pointer),
               modes(o["spec"].value("accessModes", json::array())),
               str(o, "/spec/persistentVolumeReclaimPolicy"_json_pointer),
               str(o, "/status/phase"_json_pointer),
               claim,
               str(o, "/spec/storageClassName"_json_pointer),
               age(o)};
    } else if (type.plural == "storageclasses") {
      cells = {name, o.value("provisioner", ""), o.value("reclaimPolicy", ""),
               o.value("volumeBindingMode", ""), age(o)};
    } else if (type.plural == "namespaces") {
      cells = {name, str(o, "/status/phase"_json_pointer), age(o)};
    } else {
      cells = {name, age(o)};
    }
    json partial = {{"kind", "PartialObjectMetadata"},
                    {"apiVersion", "meta.k8s.io/v1"},
                    {"metadata", o["metadata"]}};
    rows.push_back({{"cells", cells}, {"object", partial}});
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", {{"resourceVersion", resource_version}}},
          {"columnDefinitions", columns},
          {"rows", rows}};
}

}  // namespace nfsprov::testing::apiserver

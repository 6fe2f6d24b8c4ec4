// VolumePlanner: hostile createMode/createUID/createGID annotations and class parameters give
// a refusal or a plan whose mode has no setuid/setgid/sticky bit from the claim, whose ids are
// never (uid_t)-1, and whose address carries no URL option.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "provisioner/core/volume_planner.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // "mode \n uid \n gid \n share \n server"
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string parts[5];
  std::size_t at = 0;
  for (int i = 0; i < 5 && at <= text.size(); ++i) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    parts[i] = text.substr(at, end - at);
    at = end + 1;
  }
  nlohmann::json claim = {
      {"metadata",
       {{"namespace", "default"},
        {"name", "data"},
        {"uid", "0000"},
        {"annotations",
         {{"nfs.io/createMode", parts[0]},
          {"nfs.io/createUID", parts[1]},
          {"nfs.io/createGID", parts[2]}}}}},
      {"spec",
       {{"accessModes", {"ReadWriteMany"}}, {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}};
  nlohmann::json storage_class = {{"metadata", {{"name", "c"}}},
                                  {"provisioner", "example.com/nfs"},
                                  {"parameters", {{"share", "/" + parts[3]}}}};
  if (!parts[4].empty()) storage_class["parameters"]["server"] = parts[4];
  nfsprov::nfs::ExportAddress fallback;
  fallback.server = "10.0.0.5";
  fallback.export_path = "/srv";
  const nfsprov::core::VolumePlanner planner({"example.com/nfs", fallback});
  const auto outcome = planner.plan(claim, storage_class);
  const auto* plan = std::get_if<nfsprov::core::VolumePlan>(&outcome);
  if (!plan) return 0;
  if ((plan->create_options.mode & 07000) != 0) std::abort();
  if (plan->create_options.uid == 4294967295u || plan->create_options.gid == 4294967295u)
    std::abort();
  if (!plan->export_address.problem().empty()) std::abort();
  return 0;
}

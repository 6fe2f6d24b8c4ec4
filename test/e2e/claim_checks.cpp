#include "test/e2e/claim_checks.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "provisioner/kube/resource.h"

namespace nfsprov::e2e {

std::size_t pv_count(E2eEnv& env) {
  return env.list_pvs().size();
}

std::size_t bound_count(E2eEnv& env, const std::string& ns) {
  const json list = env.api().list(kube::kPersistentVolumeClaims, ns);
  return static_cast<std::size_t>(
      std::count_if(list.at("items").begin(), list.at("items").end(),
                    [](const json& c) { return str_at(c, "/status/phase") == "Bound"; }));
}

std::vector<std::string> volume_warnings(E2eEnv& env, const std::string& ns) {
  std::vector<std::string> warnings;
  const json events = env.api().list(kube::kEvents, ns);
  // About the claims and volumes: a real cluster has Warnings of its own (the apiserver's
  // Service IP repair loop reports the "kubernetes" Service, say).
  for (const auto& event : events.at("items"))
    if (event.value("type", "") == "Warning" &&
        (str_at(event, "/involvedObject/kind") == "PersistentVolumeClaim" ||
         str_at(event, "/involvedObject/kind") == "PersistentVolume"))
      warnings.push_back(str_at(event, "/involvedObject/name") + ": " + event.value("reason", "") +
                         ": " + event.value("message", ""));
  return warnings;
}

void check_exactly_one_each(E2eEnv& env, const std::string& ns, std::size_t claims) {
  std::size_t bound = 0;
  if (!wait_until([&] { return (bound = bound_count(env, ns)) == claims; }, 40s))
    FAIL("only " << bound << " of " << claims << " claims Bound");

  const json list = env.api().list(kube::kPersistentVolumeClaims, ns);
  REQUIRE(list.at("items").size() == claims);
  std::map<std::string, std::string> claim_of_pv;  // pv name -> claim name
  std::vector<std::string> expected_dirs;
  for (const auto& claim : list.at("items")) {
    const std::string name = str_at(claim, "/metadata/name");
    const std::string pv_name = "pvc-" + str_at(claim, "/metadata/uid");
    INFO("claim " << name);
    CHECK(str_at(claim, "/status/phase") == "Bound");
    CHECK(str_at(claim, "/spec/volumeName") == pv_name);
    claim_of_pv[pv_name] = name;
    expected_dirs.push_back(ns + "-" + name + "-" + pv_name);
  }

  const auto pvs = env.list_pvs();
  CHECK(pvs.size() == claims);
  std::set<std::string> pv_names;
  for (const auto& pv : pvs) {
    const std::string pv_name = str_at(pv, "/metadata/name");
    INFO("pv " << pv_name);
    pv_names.insert(pv_name);
    const auto claim = claim_of_pv.find(pv_name);
    REQUIRE(claim != claim_of_pv.end());
    CHECK(str_at(pv, "/spec/claimRef/name") == claim->second);
    CHECK(str_at(pv, "/spec/claimRef/uid") == pv_name.substr(4));
    CHECK(str_at(pv, "/spec/nfs/path") == "/export/" + ns + "-" + claim->second + "-" + pv_name);
    CHECK(str_at(pv, "/status/phase") == "Bound");
  }
  CHECK(pv_names.size() == claims);

  std::sort(expected_dirs.begin(), expected_dirs.end());
  CHECK(entries(env.export_dir()) == expected_dirs);
  // Every volume has its PV: no crash record is left behind.
  // (Each is removed right after its PV's create, which the binding may overtake.)
  INFO("records left: " << records_left(env.export_dir()).size());
  CHECK(wait_until([&] { return records_left(env.export_dir()).empty(); }, 10s));

  CHECK(volume_warnings(env, ns) == std::vector<std::string>{});
}

}  // namespace nfsprov::e2e

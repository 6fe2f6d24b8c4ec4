// The provisioner rides out an NFS server outage: nothing is lost, nothing duplicated.
#include <catch2/catch.hpp>

#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;

TEST_CASE("NFS server down for 20 s mid-run: every claim is provisioned once it returns") {
  E2eEnv env;
  env.create_class("nfs", {{"archiveOnDelete", "false"}});
  env.start_controller();
  env.create_claim("default", "before", "nfs");
  env.wait_bound("default", "before");

  env.nfs().stop();
  const std::vector<std::string> names = {"during-0", "during-1", "during-2", "during-3",
                                          "during-4"};
  for (const auto& name : names) env.create_claim("default", name, "nfs");
  // The user sees why nothing happens yet.
  CHECK(wait_until([&] { return env.has_event("default", "during-0", "ProvisioningFailed"); }));
  std::this_thread::sleep_for(20s);
  CHECK(env.list_pvs().size() == 1);
  env.nfs().start();

  for (const auto& name : names) env.wait_bound("default", name, 30s);
  CHECK(env.list_pvs().size() == names.size() + 1);
  // Exactly one directory per claim: retries reused the deterministic name.
  CHECK(entries(env.export_dir()).size() == names.size() + 1);
  for (const auto& name : names) {
    const json claim = env.get_claim("default", name);
    CHECK(fs::is_directory(env.export_dir() /
                           ("default-" + name + "-pvc-" + str_at(claim, "/metadata/uid"))));
  }
}

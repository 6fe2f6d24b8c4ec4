// A claim larger than the export's free space (100Pi against nfs-ganesha's backing disk), under
// each capacityPolicy, on the real control plane; the export's usage as the metrics see it.
#include <catch2/catch.hpp>

#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;

namespace {

constexpr const char* kNs = "capacity";
const json kHuge = {{"spec", {{"resources", {{"requests", {{"storage", "100Pi"}}}}}}}};

std::string warnings(E2eEnv& env, const std::string& claim, const std::string& reason) {
  std::string text;
  for (const auto& e : env.events_for(kNs, claim))
    if (e.value("reason", "") == reason && e.value("type", "") == "Warning")
      text += e.value("message", "") + "\n";
  return text;
}

// Records the export usage the controller reports to its observer (the metrics' source).
class UsageObserver : public nfsprov::controller::ControllerObserver {
 public:
  void export_usage(const nfsprov::nfs::ExportAddress& address,
                    const nfsprov::nfs::ExportUsage& usage) override {
    std::lock_guard lock(mutex);
    server = address.display();
    last = usage;
  }
  std::mutex mutex;
  std::string server;
  std::optional<nfsprov::nfs::ExportUsage> last;
};

}  // namespace

TEST_CASE("capacity: refuse, warn (the default) and ignore, for a claim larger than the export") {
  E2eEnv env;
  env.create_class("refusing", {{"capacityPolicy", "refuse"}});
  env.create_class("warning", json::object());
  env.create_class("ignoring", {{"capacityPolicy", "ignore"}});
  env.create_class("misspelt", {{"capacityPolicy", "refuse-it"}});
  env.start_controller();
  env.create_claim(kNs, "too-big", "refusing", kHuge);
  env.create_claim(kNs, "warned", "warning", kHuge);
  env.create_claim(kNs, "quiet", "ignoring", kHuge);
  env.create_claim(kNs, "small", "refusing");
  env.create_claim(kNs, "typo", "misspelt");

  // refuse: a Warning naming the sizes, the claim stays Pending, nothing on the export.
  CHECK(wait_until([&] { return !warnings(env, "too-big", "ProvisioningFailed").empty(); }));
  const std::string refused = warnings(env, "too-big", "ProvisioningFailed");
  INFO(refused);
  CHECK(refused.find("claim requests 100Pi") != std::string::npos);
  CHECK(refused.find("bytes free on export 127.0.0.1") != std::string::npos);
  CHECK(refused.find("capacityPolicy \"refuse\"") != std::string::npos);
  // A request that fits is not held up by the policy.
  env.wait_bound(kNs, "small");
  // warn: Bound, with a Warning; ignore: Bound, silently.
  env.wait_bound(kNs, "warned");
  env.wait_bound(kNs, "quiet");
  CHECK(wait_until([&] { return !warnings(env, "warned", "CapacityExceeded").empty(); }));
  INFO(warnings(env, "warned", "CapacityExceeded"));
  CHECK(warnings(env, "warned", "CapacityExceeded").find("promise, not a quota") !=
        std::string::npos);
  // An invalid value is refused like any other bad class parameter.
  CHECK(wait_until([&] { return !warnings(env, "typo", "ProvisioningFailed").empty(); }));
  CHECK(warnings(env, "typo", "ProvisioningFailed")
            .find("StorageClass parameter capacityPolicy \"refuse-it\" is not refuse, warn or "
                  "ignore") != std::string::npos);

  CHECK(str_at(env.get_claim(kNs, "too-big"), "/status/phase") == "Pending");
  CHECK(str_at(env.get_claim(kNs, "typo"), "/status/phase") == "Pending");
  CHECK(warnings(env, "quiet", "CapacityExceeded").empty());
  CHECK(warnings(env, "small", "CapacityExceeded").empty());
  CHECK(entries(env.export_dir()).size() == 3);  // small, warned, quiet
}

TEST_CASE("capacity: the export's free and total bytes reach the metrics without any claim") {
  E2eEnv env;
  UsageObserver usage;
  env.start_controller_with(&usage);
  CHECK(wait_until(
      [&] {
        std::lock_guard lock(usage.mutex);
        return usage.last.has_value();
      },
      10s));
  std::lock_guard lock(usage.mutex);
  REQUIRE(usage.last);
  CHECK(usage.server.find("127.0.0.1") == 0);
  CHECK(usage.server.find("/export") != std::string::npos);
  CHECK(usage.last->total_bytes > 0);
  CHECK(usage.last->free_bytes > 0);
  CHECK(usage.last->free_bytes <= usage.last->total_bytes);
  CHECK(usage.last->available_bytes <= usage.last->free_bytes);
}

// Claims the provisioner must refuse: a Warning Event that says why, and nothing written.
#include <catch2/catch.hpp>

#include "provisioner/kube/resource.h"
#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;

namespace {

std::string failure_message(E2eEnv& env, const std::string& name) {
  for (const auto& event : env.events_for("default", name))
    if (event.value("reason", "") == "ProvisioningFailed" && event.value("type", "") == "Warning")
      return event.value("message", "");
  return {};
}

// Everything below a directory on the local disk, as relative paths.
std::vector<std::string> tree(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    out.push_back(fs::relative(entry.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("hostile pathPatterns and annotations are refused and nothing is written outside") {
  E2eEnv env;
  env.create_class("climbing", {{"pathPattern", "../../etc"}});
  env.create_class("absolute", {{"pathPattern", "/etc/cron.d"}});
  env.create_class("by-annotation", {{"pathPattern", "${.PVC.annotations.path}"}});
  const fs::path outside = env.export_dir().parent_path();
  const auto outside_before = tree(outside);
  env.start_controller();

  env.create_claim("default", "climbing", "climbing");
  env.create_claim("default", "absolute", "absolute");
  const std::vector<std::pair<std::string, std::string>> annotated = {
      {"dotdot", "../../etc"}, {"nested-dotdot", "a/../../b"},
      {"rooted", "/etc/x"},    {"nul", std::string("a\0b", 3)},
      {"newline", "a\nb"},     {"long", std::string(300, 'x')}};
  for (const auto& [name, path] : annotated)
    env.create_claim("default", name, "by-annotation",
                     {{"metadata", {{"annotations", {{"path", path}}}}}});

  std::vector<std::string> names = {"climbing", "absolute"};
  for (const auto& [name, path] : annotated) names.push_back(name);
  for (const auto& name : names) {
    INFO(name);
    CHECK(wait_until([&] { return !failure_message(env, name).empty(); }));
    CHECK(str_at(env.get_claim("default", name), "/status/phase") != "Bound");
  }
  CHECK(env.list_pvs().empty());
  CHECK(entries(env.export_dir()).empty());
  CHECK(tree(outside) == outside_before);
}

TEST_CASE("a claim with a selector or for a Block volume is refused with a Warning Event") {
  E2eEnv env;
  env.create_class("nfs", json::object());
  env.start_controller();
  env.create_claim("default", "picky", "nfs",
                   {{"spec", {{"selector", {{"matchLabels", {{"disk", "ssd"}}}}}}}});
  env.create_claim("default", "raw", "nfs", {{"spec", {{"volumeMode", "Block"}}}});
  CHECK(wait_until([&] { return !failure_message(env, "picky").empty(); }));
  CHECK_THAT(failure_message(env, "picky"), Catch::Contains("Selector"));
  CHECK(wait_until([&] { return !failure_message(env, "raw").empty(); }));
  CHECK_THAT(failure_message(env, "raw"), Catch::Contains("Block"));

  // No retry storm: a refusal is reported again only when the claim or class changes. A storm
  // starts with a step that puts its key back with back-off, which the observer counts
  // (queue_retry). Stopping the controller ends every step under way and posts every Event
  // it recorded: a refusal that asked for a retry has been counted by then.
  env.stop_controller();
  CHECK(env.counts().retries == 0);
  CHECK(env.counts().provision_failures == 2);
  for (const auto& name : {"picky", "raw"}) {
    int failures = 0;
    for (const auto& event : env.events_for("default", name))
      if (event.value("reason", "") == "ProvisioningFailed") failures += event.value("count", 1);
    CHECK(failures == 1);
  }
  CHECK(env.list_pvs().empty());
  CHECK(entries(env.export_dir()).empty());
}

TEST_CASE("a claim for a class that appears later is provisioned when the class arrives") {
  E2eEnv env;
  env.create_class("present", json::object());
  // One worker: keys are worked one at a time in the order the informers queued them.
  env.options().workers = 1;
  env.start_controller();
  env.create_claim("default", "early", "arrives-later");
  // The controller has had its chance at "early" once a claim made after it is Bound: it came
  // later on the same watch, and the one worker took "early" first. A controller that
  // provisioned claims of unknown classes would have made a second PV by then.
  env.create_claim("default", "witness", "present");
  env.wait_bound("default", "witness");
  CHECK(env.list_pvs().size() == 1);
  env.create_class("arrives-later", json::object());
  env.wait_bound("default", "early");
}

TEST_CASE("class parameters cannot become NFS options, claims cannot ask for setgid or uid -1") {
  E2eEnv env;
  // Each would have made the provisioner speak as uid 4321, or NFSv4, or to another host.
  env.create_class("uid-smuggler", {{"share", "/export?uid=4321&gid=4321&a="}});
  env.create_class("v4-smuggler", {{"share", "/export?version=4&a="}});
  env.create_class("host-smuggler", {{"server", "127.0.0.1?uid=0&a="}});
  env.create_class("plain", json::object());
  env.start_controller();
  for (const char* name : {"uid-smuggler", "v4-smuggler", "host-smuggler"})
    env.create_claim("default", name, name);
  const std::vector<std::pair<std::string, json>> hostile_claims = {
      {"setuid", {{"nfs.io/createMode", "4755"}}},
      {"setgid", {{"nfs.io/createMode", "2775"}}},
      {"all-bits", {{"nfs.io/createMode", "7777"}}},
      {"uid-minus-one", {{"nfs.io/createUID", "4294967295"}}}};
  for (const auto& [name, annotations] : hostile_claims)
    env.create_claim("default", name, "plain", {{"metadata", {{"annotations", annotations}}}});

  for (const char* name : {"uid-smuggler", "v4-smuggler", "host-smuggler"}) {
    INFO(name);
    CHECK(wait_until([&] { return !failure_message(env, name).empty(); }));
    CHECK_THAT(failure_message(env, name), Catch::Contains("StorageClass parameter"));
  }
  for (const auto& [name, annotations] : hostile_claims) {
    INFO(name);
    CHECK(wait_until([&] { return !failure_message(env, name).empty(); }));
    CHECK_THAT(failure_message(env, name), Catch::Contains("claim annotation nfs.io/create"));
  }
  CHECK(env.list_pvs().empty());
  CHECK(entries(env.export_dir()).empty());
  // A plain claim of the same class still works.
  env.create_claim("default", "normal", "plain",
                   {{"metadata", {{"annotations", {{"nfs.io/createMode", "0750"}}}}}});
  env.wait_bound("default", "normal");
}

TEST_CASE("a refusal re-derived by each new leader is reported once: one Event, count 1") {
  E2eEnv env;
  env.create_class("nfs", json::object());
  env.start_controller();
  env.create_claim("default", "picky", "nfs",
                   {{"spec", {{"selector", {{"matchLabels", {{"disk", "ssd"}}}}}}}});
  REQUIRE(wait_until([&] { return !failure_message(env, "picky").empty(); }));
  // Each new leader starts with no memory of what the last one reported and reaches the same
  // verdict again (the report of the 25,018 Events: 5000 refused claims times every leader
  // change). Nothing of that is news: the Warning already on the claim stays as it is.
  for (int life = 2; life <= 4; ++life) {
    env.stop_controller();  // posts what it recorded before it goes
    env.start_controller();
    REQUIRE(wait_until([&] { return env.counts().provision_failures == life; }));
  }
  env.stop_controller();
  std::vector<json> failures;
  for (const auto& event : env.events_for("default", "picky"))
    if (event.value("reason", "") == "ProvisioningFailed") failures.push_back(event);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].value("count", 0) == 1);
  CHECK_THAT(failures[0].value("message", ""), Catch::Contains("Selector"));
}

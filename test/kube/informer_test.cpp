// Informer against the test API server: a thousand random changes with watches cut in
// between, forced 410s, restarts; what the handlers told must equal a fresh list, with no
// change delivered twice.
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "provisioner/kube/informer.h"
#include "test/kube/test_support.h"
#include "test/support/eventually.h"

using namespace nfsprov::kube;
using namespace nfsprov::kube::testing;
using namespace std::chrono_literals;
using nfsprov::testing::TestApiServer;
using nlohmann::json;

namespace {

std::string rv_of(const json& obj) {
  return obj["metadata"]["resourceVersion"];
}

// What the handlers said, as a map key -> resourceVersion, plus every duplicate seen.
class HandlerModel {
 public:
  InformerHandlers handlers() {
    return {[this](const json& o) { record("add", o); },
            [this](const json&, const json& o) { record("update", o); },
            [this](const json& o) { record("delete", o); },
            {}};
  }
  std::map<std::string, std::string> state() const {
    std::lock_guard lock(mutex_);
    return state_;
  }
  std::vector<std::string> problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }
  std::map<std::string, int> counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  void record(const std::string& what, const json& o) {
    std::lock_guard lock(mutex_);
    const std::string key = object_key(o);
    ++counts_[what];
    if (what == "delete") {
      if (!state_.erase(key)) problems_.push_back("delete of unknown " + key);
      return;
    }
    if (what == "add" && state_.contains(key)) problems_.push_back("second add of " + key);
    if (what == "update" && !state_.contains(key)) problems_.push_back("update of unknown " + key);
    if (!seen_[key].insert(rv_of(o)).second)
      problems_.push_back(what + " of " + key + " at " + rv_of(o) + " delivered twice");
    state_[key] = rv_of(o);
  }

  mutable std::mutex mutex_;
  std::map<std::string, std::string> state_;
  std::map<std::string, std::set<std::string>> seen_;
  std::map<std::string, int> counts_;
  std::vector<std::string> problems_;
};

std::map<std::string, std::string> fresh_list(ApiClient& client) {
  std::map<std::string, std::string> out;
  const json answer = client.list(kPersistentVolumeClaims);
  UNSCOPED_INFO("list: " << answer.dump().substr(0, 300));
  for (const auto& item : answer["items"]) out[object_key(item)] = rv_of(item);
  return out;
}

std::map<std::string, std::string> cache_of(const Informer& informer) {
  std::map<std::string, std::string> out;
  for (const auto& item : informer.list()) out[object_key(item)] = rv_of(item);
  return out;
}

std::string dump(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += k + "@" + v + " ";
  return out;
}

using nfsprov::testing::eventually;

TestApiServer::Options quiet_server(std::size_t history = 100000) {
  TestApiServer::Options options;
  options.history = history;
  options.controllers = false;  // only the test's own changes
  return options;
}

}  // namespace

TEST_CASE("a thousand random changes with watches cut in between: nothing missed or doubled") {
  TestApiServer server(quiet_server());
  ApiClient client(load_kubeconfig_file(server.kubeconfig_path()));
  Informer informer(client, kPersistentVolumeClaims);
  HandlerModel model;
  informer.set_handlers(model.handlers());
  std::jthread runner([&](std::stop_token stop) { informer.run(stop); });
  REQUIRE(eventually([&] { return informer.synced(); }));

  std::mt19937 random(42);
  std::vector<std::string> live;
  int next_name = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    if (i % 97 == 50) server.inject({{"drop_watches", true}});
    const int dice = static_cast<int>(random() % 10);
    if (live.empty() || dice < 4) {
      std::string name = "claim-" + std::to_string(next_name++);
      client.create(kPersistentVolumeClaims, "default", claim("default", name));
      live.push_back(name);
    } else {
      std::size_t pick = random() % live.size();
      if (dice < 8) {
        client.merge_patch(kPersistentVolumeClaims, "default", live[pick],
                           {{"metadata", {{"labels", {{"step", std::to_string(i)}}}}}});
      } else {
        client.remove(kPersistentVolumeClaims, "default", live[pick]);
        live.erase(live.begin() + static_cast<long>(pick));
      }
    }
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  WARN("1000 changes over HTTPS in " << took.count() << " s (" << 1000 / took.count()
                                     << " calls/s)");

  const auto truth = fresh_list(client);
  CHECK(eventually([&] { return cache_of(informer) == truth && model.state() == truth; }));
  CHECK(truth.size() == live.size());
  CHECK(model.problems().empty());
  for (const auto& p : model.problems()) UNSCOPED_INFO(p);
  CHECK(informer.stats().watch_restarts >= 5);  // the cuts really happened
  runner.request_stop();
}

TEST_CASE("a forced 410 relists and the handlers still match the server exactly") {
  TestApiServer server(quiet_server());
  ApiClient client(load_kubeconfig_file(server.kubeconfig_path()));
  for (int i = 0; i < 5; ++i)
    client.create(kPersistentVolumeClaims, "default", claim("default", "pre-" + std::to_string(i)));
  Informer informer(client, kPersistentVolumeClaims);
  HandlerModel model;
  informer.set_handlers(model.handlers());
  std::jthread runner([&](std::stop_token stop) { informer.run(stop); });
  REQUIRE(eventually([&] { return informer.synced(); }));
  CHECK(model.counts()["add"] == 5);

  // Changes keep coming while the watch is cut and answered with 410 Expired.
  std::jthread writer([&](std::stop_token stop) {
    for (int i = 0; i < 60 && !stop.stop_requested(); ++i) {
      client.create(kPersistentVolumeClaims, "default", claim("default", "w-" + std::to_string(i)));
      if (i % 3 == 0) client.remove(kPersistentVolumeClaims, "default", "w-" + std::to_string(i));
      if (i % 4 == 0)
        client.merge_patch(kPersistentVolumeClaims, "default", "pre-" + std::to_string(i % 5),
                           {{"metadata", {{"labels", {{"i", std::to_string(i)}}}}}});
    }
  });
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(30ms);
    server.inject({{"expire_next_watch", true}, {"drop_watches", true}});
  }
  writer.join();
  REQUIRE(eventually([&] { return informer.stats().relists >= 1; }));
  const auto truth = fresh_list(client);
  CHECK(eventually([&] { return cache_of(informer) == truth && model.state() == truth; }));
  CHECK(model.problems().empty());
  for (const auto& p : model.problems()) UNSCOPED_INFO(p);
}

TEST_CASE("changes made while away are delivered as exactly their difference") {
  TestApiServer server(quiet_server(5));
  ApiClient client(load_kubeconfig_file(server.kubeconfig_path()));
  for (const char* name : {"kept", "changed", "removed"})
    client.create(kPersistentVolumeClaims, "default", claim("default", name));
  Informer informer(client, kPersistentVolumeClaims);
  HandlerModel model;
  informer.set_handlers(model.handlers());
  {
    std::jthread runner([&](std::stop_token stop) { informer.run(stop); });
    REQUIRE(eventually([&] { return informer.synced(); }));
  }  // stopped: the informer is away
  client.merge_patch(kPersistentVolumeClaims, "default", "changed",
                     {{"metadata", {{"labels", {{"v", "2"}}}}}});
  client.remove(kPersistentVolumeClaims, "default", "removed");
  client.create(kPersistentVolumeClaims, "default", claim("default", "added"));
  for (int i = 0; i < 10; ++i)  // push the old resourceVersion out of the history
    client.merge_patch(kPersistentVolumeClaims, "default", "kept",
                       {{"metadata", {{"labels", {{"n", std::to_string(i)}}}}}});
  client.merge_patch(kPersistentVolumeClaims, "default", "kept",
                     {{"metadata", {{"labels", nullptr}}}});

  std::jthread runner([&](std::stop_token stop) { informer.run(stop); });
  const auto truth = fresh_list(client);
  const bool converged = eventually([&] { return model.state() == truth; });
  INFO("server: " << dump(truth) << "\nhandlers: " << dump(model.state())
                  << "\ncache: " << dump(cache_of(informer)));
  REQUIRE(converged);
  auto counts = model.counts();
  CHECK(counts["add"] == 4);     // three at first, "added" now
  CHECK(counts["update"] == 2);  // "changed" and "kept" (its resourceVersion moved)
  CHECK(counts["delete"] == 1);  // "removed"
  CHECK(model.problems().empty());
}

TEST_CASE("run returns promptly when stop is requested mid-watch") {
  TestApiServer server(quiet_server());
  ApiClient client(load_kubeconfig_file(server.kubeconfig_path()));
  Informer informer(client, kPersistentVolumeClaims);
  std::jthread runner([&](std::stop_token stop) { informer.run(stop); });
  REQUIRE(eventually([&] { return informer.synced(); }));
  std::this_thread::sleep_for(300ms);  // inside the watch now
  auto start = std::chrono::steady_clock::now();
  runner.request_stop();
  runner.join();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  WARN("stop took " << took.count() * 1000 << " ms");
  CHECK(took < 5s);  // the watch itself would run for minutes
}

// request_relist() ends the watch it interrupts from the asking thread: with nothing
// streaming, the relist must not wait for an event or the stream's timeout.
TEST_CASE("a relist asked for while the watch idles happens at once") {
  TestApiServer server(quiet_server());
  ApiClient client(load_kubeconfig_file(server.kubeconfig_path()));
  Informer informer(client, kPersistentVolumeClaims);
  std::jthread runner([&](std::stop_token stop) { informer.run(stop); });
  REQUIRE(eventually([&] { return informer.synced(); }));
  for (int i = 1; i <= 3; ++i) {
    std::this_thread::sleep_for(300ms);  // inside an idle watch now
    informer.request_relist();
    INFO("relist " << i);
    CHECK(
        eventually([&] { return informer.stats().relists >= static_cast<std::uint64_t>(i); }, 2s));
  }
}

TEST_CASE("an exception in a handler is reported and does not end the informer") {
  TestApiServer server(quiet_server());
  ApiClient client(load_kubeconfig_file(server.kubeconfig_path()));
  Informer informer(client, kPersistentVolumeClaims);
  std::mutex mutex;
  std::vector<std::string> added, errors;
  bool thrown = false;
  informer.set_handlers({[&](const json& o) {
                           std::lock_guard lock(mutex);
                           if (!thrown) {
                             thrown = true;
                             throw std::runtime_error("a handler's bug");
                           }
                           added.push_back(o["metadata"]["name"].get<std::string>());
                         },
                         [&](const json&, const json& o) {
                           std::lock_guard lock(mutex);
                           added.push_back(o["metadata"]["name"].get<std::string>());
                         },
                         {},
                         [&](std::string_view operation, const std::string& error) {
                           std::lock_guard lock(mutex);
                           errors.push_back(std::string(operation) + ": " + error);
                         }});
  std::jthread runner([&](std::stop_token stop) { informer.run(stop); });
  REQUIRE(eventually([&] { return informer.synced(); }));
  client.create(kPersistentVolumeClaims, "default", claim("default", "first"));
  // The throw is reported; the informer starts over from a list and tells the handlers about
  // every object again, so the claim the failed handler never took is delivered.
  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return !added.empty();
  }));
  client.create(kPersistentVolumeClaims, "default", claim("default", "second"));
  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return added.size() >= 2;
  }));
  std::lock_guard lock(mutex);
  CHECK(added == std::vector<std::string>{"first", "second"});
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("a handler's bug"));
  CHECK(informer.stats().watch_failures == 1);
}

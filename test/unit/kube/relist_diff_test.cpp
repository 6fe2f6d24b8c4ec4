// What a relist changed (provisioner/kube/relist_diff.h), and the informer's object keys.
#include <catch2/catch.hpp>

#include <algorithm>

#include "provisioner/kube/informer.h"
#include "provisioner/kube/record_store.h"
#include "provisioner/kube/relist_diff.h"

using namespace nfsprov::kube;
using nlohmann::json;

namespace {

json object(const std::string& ns, const std::string& name, const std::string& rv) {
  json o = {{"metadata", {{"name", name}, {"resourceVersion", rv}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  return o;
}

// A store of the objects' JSON text, as an informer without a transform keeps them.
RecordStore store_of(const std::vector<json>& objects) {
  RecordStore store;
  for (const auto& obj : objects) store.put(object_key(obj), obj.dump());
  return store;
}

}  // namespace

TEST_CASE("relist difference: adds, real updates and deletes, nothing twice") {
  RecordStore cache = store_of(
      {object("ns", "kept", "1"), object("ns", "changed", "2"), object("ns", "gone", "3")});
  RecordStore fresh = store_of(
      {object("ns", "kept", "1"), object("ns", "changed", "9"), object("ns", "new", "10")});
  auto diff = diff_relist(std::move(cache), std::move(fresh));
  const auto version = [](std::string_view record) {
    return json::parse(record)["metadata"]["resourceVersion"];
  };
  REQUIRE(diff.added.size() == 1);
  CHECK(diff.added[0] == "ns/new");
  CHECK(version(*diff.cache.find("ns/new")) == "10");
  REQUIRE(diff.updated.size() == 1);
  CHECK(version(diff.updated[0].first) == "2");
  CHECK(diff.updated[0].second == "ns/changed");
  CHECK(version(*diff.cache.find("ns/changed")) == "9");
  REQUIRE(diff.deleted.size() == 1);
  CHECK(object_key(json::parse(diff.deleted[0])) == "ns/gone");
  CHECK(diff.cache.size() == 3);
  CHECK(object_key(object("", "pv-1", "1")) == "pv-1");
}

TEST_CASE("relist difference over stored records: a record that changed form is an update") {
  // Records as an informer's transform keeps them, of the same resourceVersion before and
  // after: a compact record made whole, a whole one made compact.
  const auto records = [](const std::vector<std::pair<std::string, std::string>>& entries) {
    RecordStore store;
    for (const auto& [key, record] : entries) store.put(key, record);
    return store;
  };
  const std::vector<std::pair<std::string, std::string>> before = {
      {"ns/a", "compact 7"}, {"ns/b", "packed 8"}, {"ns/c", "packed 9"}};
  const std::vector<std::pair<std::string, std::string>> after = {
      {"ns/a", "packed 7"}, {"ns/b", "compact 8"}, {"ns/c", "compact 9"}};
  auto diff = diff_relist(records(before), records(after));
  CHECK(diff.added.empty());
  CHECK(diff.deleted.empty());
  REQUIRE(diff.updated.size() == 3);  // no version changed, every form did
  // In the order the store gives its entries, which promises none.
  std::sort(diff.updated.begin(), diff.updated.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  CHECK(diff.updated[0] == std::pair<std::string, std::string>{"compact 7", "ns/a"});
  CHECK(diff.cache.find("ns/a") == "packed 7");
  CHECK(diff.updated[1] == std::pair<std::string, std::string>{"packed 8", "ns/b"});
  CHECK(diff.cache.find("ns/b") == "compact 8");
  CHECK(diff.updated[2] == std::pair<std::string, std::string>{"packed 9", "ns/c"});
  CHECK(diff.cache.find("ns/c") == "compact 9");
  // The same records: nothing.
  CHECK(diff_relist(records(after), records(after)).updated.empty());
}

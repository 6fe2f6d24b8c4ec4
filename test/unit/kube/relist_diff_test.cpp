// What a relist changed (provisioner/kube/relist_diff.h), and the informer's object keys.
#include <catch2/catch.hpp>

#include "provisioner/kube/informer.h"
#include "provisioner/kube/relist_diff.h"

using namespace nfsprov::kube;
using nlohmann::json;

namespace {

json object(const std::string& ns, const std::string& name, const std::string& rv) {
  json o = {{"metadata", {{"name", name}, {"resourceVersion", rv}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  return o;
}

}  // namespace

TEST_CASE("relist difference: adds, real updates and deletes, nothing twice") {
  std::map<std::string, json> cache = {{"ns/kept", object("ns", "kept", "1")},
                                       {"ns/changed", object("ns", "changed", "2")},
                                       {"ns/gone", object("ns", "gone", "3")}};
  json items = json::array(
      {object("ns", "kept", "1"), object("ns", "changed", "9"), object("ns", "new", "10")});
  auto diff = diff_relist(cache, items);
  REQUIRE(diff.added.size() == 1);
  CHECK(diff.added[0] == "ns/new");
  CHECK(diff.cache.at("ns/new")["metadata"]["resourceVersion"] == "10");
  REQUIRE(diff.updated.size() == 1);
  CHECK(diff.updated[0].first["metadata"]["resourceVersion"] == "2");
  CHECK(diff.updated[0].second == "ns/changed");
  CHECK(diff.cache.at("ns/changed")["metadata"]["resourceVersion"] == "9");
  REQUIRE(diff.deleted.size() == 1);
  CHECK(object_key(diff.deleted[0]) == "ns/gone");
  CHECK(diff.cache.size() == 3);
  CHECK(object_key(object("", "pv-1", "1")) == "pv-1");
}

TEST_CASE("relist difference over stored records: a record that changed form is an update") {
  // Records as an informer's transform keeps them: strings for compact and packed ones, of
  // the same resourceVersion 7 and 8 before and after.
  std::map<std::string, json> cache = {
      {"ns/a", json("compact 7")}, {"ns/b", object("ns", "b", "8")}, {"ns/c", json("packed 9")}};
  std::map<std::string, json> fresh = {
      {"ns/a", object("ns", "a", "7")}, {"ns/b", json("compact 8")}, {"ns/c", json("compact 9")}};
  auto diff = diff_relist(cache, fresh);
  CHECK(diff.added.empty());
  CHECK(diff.deleted.empty());
  REQUIRE(diff.updated.size() == 3);  // no version changed, every form did
  CHECK(diff.updated[0].first == "compact 7");
  CHECK(diff.cache.at("ns/a").is_object());
  CHECK(diff.updated[1].first.is_object());
  CHECK(diff.cache.at("ns/b") == "compact 8");
  CHECK(diff.updated[2].first == "packed 9");
  // The same records: nothing.
  CHECK(diff_relist(fresh, fresh).updated.empty());
}

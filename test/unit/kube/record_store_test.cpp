// The informer's store of records, one entry per key (provisioner/kube/record_store.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/kube/record_store.h"

using namespace nfsprov::kube;

TEST_CASE("record store: one entry per key, any bytes in a record") {
  RecordStore store;
  store.put("ns/b", std::string("\0two\xFF", 5));
  store.put("ns/a", "one");
  store.put("ns/a-longer", "three");
  CHECK(store.size() == 3);
  CHECK(store.find("ns/a") == "one");
  CHECK(store.find("ns/b") == std::string("\0two\xFF", 5));
  CHECK_FALSE(store.find("ns"));
  CHECK_FALSE(store.find("ns/c"));
  store.put("ns/a", "uno");  // replaced, not added
  CHECK(store.size() == 3);
  CHECK(store.find("ns/a") == "uno");
  std::vector<std::string> keys;
  store.for_each([&](std::string_view key, std::string_view) { keys.emplace_back(key); });
  std::sort(keys.begin(), keys.end());  // visited in no particular order
  CHECK(keys == std::vector<std::string>{"ns/a", "ns/a-longer", "ns/b"});
  CHECK(store.take("ns/b") == std::string("\0two\xFF", 5));
  CHECK_FALSE(store.take("ns/b"));
  CHECK(store.size() == 2);
}

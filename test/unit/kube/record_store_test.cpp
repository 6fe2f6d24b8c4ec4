// The informer's store of records, one entry per key (provisioner/kube/record_store.h): a
// hash table whose deletion shifts entries back, checked against a std::map doing the same.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/kube/record_store.h"

using namespace nfsprov::kube;

namespace {

// Every entry as for_each gives it, failing on a key visited twice.
std::map<std::string, std::string> contents(const RecordStore& store) {
  std::map<std::string, std::string> out;
  std::size_t visits = 0;
  store.for_each([&](std::string_view key, std::string_view record) {
    ++visits;
    const bool once = out.emplace(key, record).second;
    INFO("key " << key);
    CHECK(once);
  });
  CHECK(visits == store.size());
  return out;
}

// The store holds exactly what the model holds, each found under its key.
void check_same(const RecordStore& store, const std::map<std::string, std::string>& model) {
  REQUIRE(store.size() == model.size());
  std::size_t wrong = 0;
  for (const auto& [key, record] : model) {
    const auto found = store.find(key);
    if (!found || *found != record) {
      if (wrong++ < 5) FAIL_CHECK("key " << key << (found ? ": another record" : ": not found"));
    }
  }
  CHECK(wrong == 0);
  CHECK(contents(store) == model);
}

// A record of 0 to 40 bytes of any value, NULs included.
std::string random_record(std::mt19937& random) {
  std::string record(random() % 41, '\0');
  for (char& c : record) c = static_cast<char>(random() % 256);
  return record;
}

// Random puts (new keys and replacements), takes (of kept keys and of missing ones) and finds
// over keys drawn from [0, key_space), each checked against a std::map.
void random_operations(RecordStore& store, std::map<std::string, std::string>& model,
                       std::mt19937& random, int operations, std::uint32_t key_space) {
  const auto key_of = [](std::uint32_t n) {
    return "ns-" + std::to_string(n % 97) + "/claim-" + std::to_string(n);
  };
  for (int i = 0; i < operations; ++i) {
    const std::string key = key_of(random() % key_space);
    const auto dice = random() % 8;
    if (dice < 4) {
      const std::string record = random_record(random);
      store.put(key, record);
      model[key] = record;
    } else if (dice < 7) {
      const auto taken = store.take(key);
      const auto kept = model.find(key);
      REQUIRE(taken.has_value() == (kept != model.end()));
      if (taken) {
        REQUIRE(*taken == kept->second);
        model.erase(kept);
      }
    } else {
      const auto found = store.find(key);
      const auto kept = model.find(key);
      REQUIRE(found.has_value() == (kept != model.end()));
      if (found) REQUIRE(*found == kept->second);
    }
    REQUIRE(store.size() == model.size());
  }
}

}  // namespace

TEST_CASE("record store: one entry per key, any bytes in a record") {
  RecordStore store;
  CHECK(store.empty());
  CHECK_FALSE(store.find("ns/a"));
  CHECK_FALSE(store.take("ns/a"));
  store.put("ns/b", std::string("\0two\xFF", 5));
  store.put("ns/a", "one");
  store.put("ns/a-longer", "three");
  store.put("ns/empty", "");
  store.put("pv-1", std::string(3, '\0'));
  CHECK(store.size() == 5);
  CHECK(store.find("ns/a") == "one");
  CHECK(store.find("ns/b") == std::string("\0two\xFF", 5));
  CHECK(store.find("ns/empty") == "");
  CHECK(store.find("pv-1") == std::string(3, '\0'));
  CHECK_FALSE(store.find("ns"));
  CHECK_FALSE(store.find("ns/c"));
  CHECK_FALSE(store.find("ns/a-longe"));
  store.put("ns/a", "uno");  // replaced, not added
  CHECK(store.size() == 5);
  CHECK(store.find("ns/a") == "uno");
  store.put("ns/a", "");  // replaced by an empty record: still there
  CHECK(store.find("ns/a") == "");
  CHECK(contents(store) == std::map<std::string, std::string>{{"ns/a", ""},
                                                              {"ns/a-longer", "three"},
                                                              {"ns/b", std::string("\0two\xFF", 5)},
                                                              {"ns/empty", ""},
                                                              {"pv-1", std::string(3, '\0')}});
  CHECK(store.take("ns/b") == std::string("\0two\xFF", 5));
  CHECK_FALSE(store.take("ns/b"));
  CHECK_FALSE(store.find("ns/b"));
  CHECK(store.take("ns/empty") == "");
  CHECK(store.size() == 3);
  CHECK(store.find("ns/a-longer") == "three");
}

TEST_CASE("record store: a moved store keeps its entries, the one moved from is empty") {
  RecordStore store;
  for (int i = 0; i < 100; ++i) store.put("ns/" + std::to_string(i), std::to_string(i));
  RecordStore moved(std::move(store));
  CHECK(moved.size() == 100);
  CHECK(moved.find("ns/42") == "42");
  CHECK(store.empty());  // NOLINT(bugprone-use-after-move): what a move leaves is specified
  CHECK_FALSE(store.find("ns/42"));
  store.put("ns/again", "usable");
  CHECK(store.find("ns/again") == "usable");
  store = std::move(moved);
  CHECK(store.size() == 100);
  CHECK(store.find("ns/7") == "7");
  CHECK_FALSE(store.find("ns/again"));
}

TEST_CASE("record store: a few keys churned in a small table, as a model map is") {
  // Few keys, so the table stays small and every put and take collides and wraps around its
  // end: the deletion's shift must leave every key findable.
  std::mt19937 random(7);
  for (const std::uint32_t keys : {1u, 2u, 5u, 6u, 13u, 40u}) {
    INFO(keys << " keys");
    RecordStore store;
    std::map<std::string, std::string> model;
    random_operations(store, model, random, 20000, keys);
    check_same(store, model);
  }
}

TEST_CASE("record store: 100,000 entries put, half taken, put again, as a model map") {
  std::mt19937 random(20240607);
  RecordStore store;
  std::map<std::string, std::string> model;
  std::vector<std::string> keys;
  for (int i = 0; i < 100000; ++i) {
    keys.push_back("ns-" + std::to_string(i % 131) + "/claim-" + std::to_string(i));
    const std::string record = random_record(random);
    store.put(keys.back(), record);
    model[keys.back()] = record;
  }
  check_same(store, model);
  const std::size_t full = store.capacity();
  CHECK(full >= 131072);  // at most 3/4 full
  CHECK(full <= 262144);

  std::shuffle(keys.begin(), keys.end(), random);
  for (std::size_t i = 0; i < keys.size() / 2; ++i) {
    const auto taken = store.take(keys[i]);
    REQUIRE(taken);
    REQUIRE(*taken == model.at(keys[i]));
    model.erase(keys[i]);
  }
  check_same(store, model);
  for (std::size_t i = 0; i < keys.size() / 2; ++i) CHECK_FALSE(store.find(keys[i]));

  for (std::size_t i = 0; i < keys.size() / 2; ++i) {
    const std::string record = random_record(random);
    store.put(keys[i], record);
    model[keys[i]] = record;
  }
  check_same(store, model);
  CHECK(store.capacity() == full);

  // And a stretch of everything at once over the same keys.
  random_operations(store, model, random, 200000, 100000);
  check_same(store, model);
}

TEST_CASE("record store: the table grows as entries come and shrinks as they go") {
  RecordStore store;
  CHECK(store.capacity() == 0);
  std::size_t capacity = 0;
  for (int i = 0; i < 50000; ++i) {
    store.put("ns/claim-" + std::to_string(i), "record");
    // A power of two, at most 3/4 full, and more than 3/8 full once it had to grow.
    REQUIRE(store.capacity() >= capacity);
    capacity = store.capacity();
    REQUIRE((capacity & (capacity - 1)) == 0);
    REQUIRE(store.size() * 4 <= capacity * 3);
    if (capacity > 8) REQUIRE(store.size() * 8 > capacity * 3);
  }
  CHECK(capacity == 131072);
  store.put("ns/claim-7", "replaced");  // not one more entry: the same table
  CHECK(store.capacity() == capacity);

  // A relist that drops most objects: the table follows them down.
  for (int i = 0; i < 49990; ++i) {
    REQUIRE(store.take("ns/claim-" + std::to_string(i)));
    REQUIRE(store.size() * 4 <= store.capacity() * 3);
    if (store.capacity() > 8) REQUIRE(store.size() * 8 >= store.capacity());  // 1/8 full
  }
  CHECK(store.size() == 10);
  CHECK(store.capacity() <= 64);
  for (int i = 49990; i < 50000; ++i)
    CHECK(store.find("ns/claim-" + std::to_string(i)) == "record");
  for (int i = 49990; i < 50000; ++i) CHECK(store.take("ns/claim-" + std::to_string(i)));
  CHECK(store.empty());
  CHECK(store.capacity() == 0);  // nothing held for an empty store
  CHECK_FALSE(store.find("ns/claim-49999"));
  store.put("ns/again", "back");
  CHECK(store.find("ns/again") == "back");
  CHECK(store.capacity() == 8);
}

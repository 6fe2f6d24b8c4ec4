// The work queue's keys: the two forms round-trip, anything else is not a key.
#include <catch2/catch.hpp>

#include "provisioner/controller/work_key.h"

using namespace nfsprov::controller;

TEST_CASE("work key: claim and volume keys round-trip", "[work-key]") {
  const auto claim = WorkKey::parse(claim_key("web/data"));
  REQUIRE(claim);
  CHECK(claim->kind == WorkKind::claim);
  CHECK(claim->cache_key == "web/data");
  CHECK(claim->str() == "claim/web/data");

  const auto volume = WorkKey::parse(volume_key("pvc-1"));
  REQUIRE(volume);
  CHECK(volume->kind == WorkKind::volume);
  CHECK(volume->cache_key == "pvc-1");
  CHECK(volume->str() == "volume/pvc-1");
}

TEST_CASE("work key: anything else is no key", "[work-key]") {
  for (const char* text : {"", "claim/", "volume/", "claim", "class/nfs", "Claim/web/data",
                           "/claim/web/data", "volumes/pvc-1"})
    CHECK_FALSE(WorkKey::parse(text));
}

TEST_CASE("work key: everything after the prefix is the cache key, slashes included",
          "[work-key]") {
  const auto key = WorkKey::parse("volume/a/b");
  REQUIRE(key);
  CHECK(key->kind == WorkKind::volume);
  CHECK(key->cache_key == "a/b");
}

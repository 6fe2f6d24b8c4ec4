// The pure parts of the Kubernetes client: token bucket, Status -> ApiError, watch line
// splitting, relist difference, token file re-reading.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "provisioner/kube/informer.h"
#include "provisioner/kube/line_splitter.h"
#include "provisioner/kube/rate_limiter.h"
#include "provisioner/kube/relist_diff.h"
#include "provisioner/kube/status_error.h"
#include "provisioner/kube/token_source.h"
#include "test/support/temp_dir.h"

using namespace nfsprov::kube;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  auto fn() {
    return [this] { return now; };
  }
};

json object(const std::string& ns, const std::string& name, const std::string& rv) {
  json o = {{"metadata", {{"name", name}, {"resourceVersion", rv}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  return o;
}

}  // namespace

TEST_CASE("token bucket: a burst passes at once, then callers wait 1/qps each") {
  FakeClock clock;
  RateLimiter limiter(10, 3, clock.fn());
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 100ms);
  CHECK(limiter.reserve() == 200ms);  // waits queue up behind each other
  clock.now += 1s;                    // refills 10 tokens, capped at the burst of 3
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 0ns);
  CHECK(limiter.reserve() == 100ms);
}

TEST_CASE("token bucket defaults let a thousand claims' calls through without waiting long") {
  FakeClock clock;
  ClientOptions defaults;
  RateLimiter limiter(defaults.qps, defaults.burst, clock.fn());
  std::chrono::nanoseconds last{};
  for (int i = 0; i < 1000; ++i) last = limiter.reserve();
  // 400 at once, the other 600 at 200/s: the thousandth call goes out after 3 s.
  CHECK(last == 3s);
}

TEST_CASE("a qps of zero disables the limit") {
  RateLimiter limiter(0, 1);
  for (int i = 0; i < 100; ++i) REQUIRE(limiter.reserve() == 0ns);
}

TEST_CASE("Kubernetes Status answers become typed ApiErrors") {
  auto status = [](int code, const std::string& reason) {
    return json{{"kind", "Status"}, {"code", code}, {"reason", reason}, {"message", "msg"}}.dump();
  };
  auto e = error_from_response("GET /x", 404, status(404, "NotFound"), "");
  CHECK(e.kind() == ApiErrorKind::not_found);
  CHECK(e.reason() == "NotFound");
  CHECK(std::string(e.what()) == "GET /x: 404 NotFound: msg");
  CHECK_FALSE(e.retryable());
  CHECK(error_from_response("", 409, status(409, "AlreadyExists"), "").kind() ==
        ApiErrorKind::already_exists);
  CHECK(error_from_response("", 409, status(409, "Conflict"), "").kind() == ApiErrorKind::conflict);
  CHECK(error_from_response("", 410, status(410, "Expired"), "").kind() == ApiErrorKind::gone);
  CHECK(error_from_response("", 401, "Unauthorized", "").kind() == ApiErrorKind::unauthorized);
  CHECK(error_from_response("", 403, status(403, "Forbidden"), "").kind() ==
        ApiErrorKind::forbidden);
  CHECK(error_from_response("", 422, status(422, "Invalid"), "").kind() == ApiErrorKind::invalid);
  auto busy = error_from_response("", 503, "", "");
  CHECK(busy.kind() == ApiErrorKind::server_error);
  CHECK(busy.retryable());
  auto throttled = error_from_response("", 429, status(429, "TooManyRequests"), "7");
  CHECK(throttled.kind() == ApiErrorKind::too_many_requests);
  CHECK(throttled.retry_after() == 7s);
  json details = {
      {"code", 429}, {"reason", "TooManyRequests"}, {"details", {{"retryAfterSeconds", 2}}}};
  CHECK(error_from_response("", 429, details.dump(), "").retry_after() == 2s);
  CHECK_FALSE(error_from_response("", 429, "", "soon").retry_after().has_value());
  auto expired = error_from_status(
      "WATCH /x", json{{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}, {"message", "m"}});
  CHECK(expired.kind() == ApiErrorKind::gone);
  CHECK(expired.http_status() == 410);
}

TEST_CASE("watch lines split across chunks arrive whole, one by one") {
  LineSplitter splitter;
  std::vector<std::string> lines;
  auto collect = [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  };
  CHECK(splitter.feed("{\"a\":", collect));
  CHECK(lines.empty());
  CHECK(splitter.feed("1}\n{\"b\":2}\r\n\n{\"c\"", collect));
  CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
  CHECK(splitter.pending() == 4);
  CHECK(splitter.feed(":3}\n", collect));
  CHECK(lines.back() == "{\"c\":3}");
  CHECK(splitter.pending() == 0);
  int seen = 0;
  CHECK_FALSE(splitter.feed("x\ny\n", [&](std::string_view) { return ++seen < 1; }));
  CHECK(seen == 1);
}

namespace {

// A store of the objects' JSON text, as an informer without a transform keeps them.
RecordStore store_of(const std::vector<json>& objects) {
  RecordStore store;
  for (const auto& obj : objects) store.put(object_key(obj), obj.dump());
  return store;
}

}  // namespace

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
  CHECK(keys == std::vector<std::string>{"ns/a", "ns/a-longer", "ns/b"});
  CHECK(store.take("ns/b") == std::string("\0two\xFF", 5));
  CHECK_FALSE(store.take("ns/b"));
  CHECK(store.size() == 2);
}

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
  const auto records = [](std::vector<std::pair<std::string, std::string>> entries) {
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
  CHECK(diff.updated[0] == std::pair<std::string, std::string>{"compact 7", "ns/a"});
  CHECK(diff.cache.find("ns/a") == "packed 7");
  CHECK(diff.updated[1].first == "packed 8");
  CHECK(diff.cache.find("ns/b") == "compact 8");
  CHECK(diff.updated[2].first == "packed 9");
  // The same records: nothing.
  CHECK(diff_relist(records(after), records(after)).updated.empty());
}

TEST_CASE("the token file is re-read when it changes, at most once a second") {
  const nfsprov::testing::TempDir dir("np-token");
  const auto path = dir.path() / "token";
  std::ofstream(path) << "first\n";
  FakeClock clock;
  TokenSource tokens("static", path, clock.fn());
  CHECK(tokens.current() == "first");
  std::ofstream(path) << "second-longer\n";
  CHECK(tokens.current() == "first");  // checked less than a second ago
  clock.now += 1100ms;
  CHECK(tokens.current() == "second-longer");
  std::ofstream(path) << "third-longerr\n";  // same size: a forced reload still sees it
  CHECK(tokens.reload());
  CHECK(tokens.current() == "third-longerr");
  TokenSource fixed("static", "");
  CHECK(fixed.current() == "static");
  CHECK_FALSE(fixed.reload());
}

// ApiClient against the test API server over real HTTPS: typed errors, TLS verification,
// token rotation, Retry-After and 5xx retries.
#include <chrono>
#include <cstdlib>
#include <functional>
#include <stop_token>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "provisioner/kube/api_client.h"
#include "test/kube/test_support.h"

using namespace nfsprov::kube;
using namespace nfsprov::kube::testing;
using nfsprov::testing::TestApiServer;
using nlohmann::json;

namespace {

ApiClient client_for(const TestApiServer& server, ClientOptions options = {}) {
  return ApiClient(load_kubeconfig_file(server.kubeconfig_path()), options);
}

ApiErrorKind kind_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const ApiError& e) {
    return e.kind();
  }
  FAIL("the call did not throw");
  return ApiErrorKind::other;
}

}  // namespace

TEST_CASE("claims: create, get, list, update, patch, status, delete with typed errors") {
  TestApiServer server;
  ApiClient client = client_for(server);
  CHECK(client.get_path("/version").contains("gitVersion"));

  json created = client.create(kPersistentVolumeClaims, "default", claim("default", "data"));
  CHECK(created["metadata"]["name"] == "data");
  const std::string uid = created["metadata"]["uid"];
  CHECK(kind_of([&] {
          client.create(kPersistentVolumeClaims, "default", claim("default", "data"));
        }) == ApiErrorKind::already_exists);

  json got = client.get(kPersistentVolumeClaims, "default", "data");
  CHECK(got["metadata"]["uid"] == uid);
  CHECK(client.list(kPersistentVolumeClaims, "default")["items"].size() == 1);
  CHECK(client.list(kPersistentVolumeClaims)["items"].size() == 1);

  json patched = client.merge_patch(kPersistentVolumeClaims, "default", "data",
                                    {{"metadata", {{"labels", {{"app", "web"}}}}}});
  CHECK(patched["metadata"]["labels"]["app"] == "web");
  CHECK(client
            .list(kPersistentVolumeClaims, "default",
                  ListOptions{.label_selector = "app=web"})["items"]
            .size() == 1);
  CHECK(client
            .list(kPersistentVolumeClaims, "default",
                  ListOptions{.label_selector = "app=db"})["items"]
            .empty());

  // `got` carries the resourceVersion from before the patch: a stale update.
  got["metadata"]["annotations"] = {{"a", "b"}};
  CHECK(kind_of([&] { client.update(kPersistentVolumeClaims, got); }) == ApiErrorKind::conflict);
  patched["metadata"]["annotations"] = {{"a", "b"}};
  json updated = client.update(kPersistentVolumeClaims, patched);
  CHECK(updated["metadata"]["annotations"]["a"] == "b");

  json with_status = client.merge_patch_status(kPersistentVolumeClaims, "default", "data",
                                               {{"status", {{"phase", "Bound"}}}});
  CHECK(with_status["status"]["phase"] == "Bound");

  CHECK(kind_of([&] {
          client.remove(kPersistentVolumeClaims, "default", "data", std::string("not-the-uid"));
        }) == ApiErrorKind::conflict);
  client.remove(kPersistentVolumeClaims, "default", "data", uid);
  CHECK(kind_of([&] { client.get(kPersistentVolumeClaims, "default", "data"); }) ==
        ApiErrorKind::not_found);
}

TEST_CASE("list_items hands over each item in order, pages and all, and keeps the metadata") {
  TestApiServer server;
  ApiClient client = client_for(server);
  for (const char* name : {"a", "b", "c"}) {
    json object = claim("default", name);
    // An item holding an "items" key of its own is still one item.
    object["metadata"]["annotations"] = {{"items", "[{}]"}};
    object["spec"]["items"] = json::array({json::object()});
    client.create(kPersistentVolumeClaims, "default", object);
  }
  std::vector<std::string> names;
  const auto on_item = [&](json&& item) {
    CHECK(item["spec"]["items"].size() == 1);
    names.push_back(item["metadata"]["name"]);
  };
  const json first =
      client.list_items(kPersistentVolumeClaims, "default", ListOptions{.limit = 2}, on_item);
  CHECK(names == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(first.contains("items"));
  const std::string next = first["metadata"]["continue"];
  REQUIRE_FALSE(next.empty());
  const json last = client.list_items(kPersistentVolumeClaims, "default",
                                      ListOptions{.limit = 2, .continue_token = next}, on_item);
  CHECK(names == std::vector<std::string>{"a", "b", "c"});
  CHECK_FALSE(last["metadata"]["resourceVersion"].get<std::string>().empty());
  // The same as a plain list.
  CHECK(client.list(kPersistentVolumeClaims, "default")["items"].size() == 3);
}

TEST_CASE("a wrong token is a clear Unauthorized error") {
  TestApiServer server;
  TempDir dir;
  ApiClient client(
      load_kubeconfig_file(write_kubeconfig(dir, server.url(), server.ca_path(), "token: wrong")));
  try {
    client.list(kPersistentVolumeClaims);
    FAIL("listed with a wrong token");
  } catch (const ApiError& e) {
    CHECK(e.kind() == ApiErrorKind::unauthorized);
    CHECK(e.http_status() == 401);
    CHECK_THAT(e.what(), Catch::Contains("401"));
  }
}

TEST_CASE("a server certificate from another CA is a TLS error, never a silent fallback") {
  TestApiServer server;
  TempDir dir;
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -subj /CN=other-ca -days 1 -keyout " +
      (dir.path() / "other.key").string() + " -out " + (dir.path() / "other.crt").string() +
      " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  ApiClient client(load_kubeconfig_file(
      write_kubeconfig(dir, server.url(), dir.path() / "other.crt", "token: " + server.token())));
  try {
    client.list(kPersistentVolumeClaims);
    FAIL("listed through an unverified server certificate");
  } catch (const ApiError& e) {
    CHECK(e.kind() == ApiErrorKind::transport);
    CHECK_THAT(e.what(), Catch::Contains("TLS certificate verification failed"));
    CHECK_THAT(e.what(), Catch::Contains("local issuer"));
  }
}

TEST_CASE("insecure-skip-tls-verify talks to a server whose CA is unknown") {
  TestApiServer server;
  TempDir dir;
  auto path =
      nfsprov::testing::write_kubeconfig(dir, {.server = server.url(),
                                               .cluster = {"insecure-skip-tls-verify: true"},
                                               .user = {"token: " + server.token()}});
  ApiClient client(load_kubeconfig_file(path));
  CHECK(client.list(kPersistentVolumeClaims)["items"].empty());
}

TEST_CASE("a rotated token file is picked up without a restart") {
  TestApiServer server;
  TempDir dir;
  dir.write("token", server.token() + "\n");
  ApiClient client(load_kubeconfig_file(
      write_kubeconfig(dir, server.url(), server.ca_path(), "tokenFile: token")));
  CHECK(client.list(kPersistentVolumeClaims)["items"].empty());

  server.rotate_token("rotated-token-1");
  // The server moved on but our file did not: a clear 401, even after the re-read.
  CHECK(kind_of([&] { client.list(kPersistentVolumeClaims); }) == ApiErrorKind::unauthorized);

  dir.write("token", "rotated-token-1\n");  // what the kubelet does
  CHECK(client.list(kPersistentVolumeClaims)["items"].empty());
  client.create(kPersistentVolumeClaims, "default", claim("default", "after-rotation"));
  CHECK(client.get(kPersistentVolumeClaims, "default", "after-rotation")["metadata"]["name"] ==
        "after-rotation");
}

TEST_CASE("429 answers are retried after Retry-After, then thrown when they persist") {
  TestApiServer server;
  ApiClient client = client_for(server, {.max_retries = 3, .on_forbidden = {}});
  server.inject({{"status", 429}, {"count", 2}, {"retry_after", 1}});
  auto start = std::chrono::steady_clock::now();
  CHECK(client.list(kPersistentVolumeClaims)["items"].empty());
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= std::chrono::seconds(2));  // two answers, each saying "wait 1 s"

  server.inject({{"status", 429}, {"count", 10}, {"retry_after", 1}});
  ApiClient impatient = client_for(server, {.max_retries = 1, .on_forbidden = {}});
  try {
    impatient.list(kPersistentVolumeClaims);
    FAIL("a persistent 429 was not thrown");
  } catch (const ApiError& e) {
    CHECK(e.kind() == ApiErrorKind::too_many_requests);
    CHECK(e.retry_after() == std::chrono::seconds(1));
  }
  server.inject({{"clear", true}});
}

TEST_CASE("503 bursts are retried for idempotent calls and creates") {
  TestApiServer server;
  ApiClient client = client_for(server, {.max_retries = 5, .on_forbidden = {}});
  server.inject({{"status", 503}, {"count", 3}});
  CHECK(client.list(kPersistentVolumeClaims)["items"].empty());
  server.inject({{"status", 503}, {"count", 2}});
  CHECK(client.create(kPersistentVolumeClaims, "default",
                      claim("default", "c"))["metadata"]["name"] == "c");
  server.inject({{"status", 503}, {"count", 2}});
  client.remove(kPersistentVolumeClaims, "default", "c");

  server.inject({{"status", 503}, {"count", 20}});
  ApiClient impatient = client_for(server, {.max_retries = 2, .on_forbidden = {}});
  CHECK(kind_of([&] { impatient.get(kPersistentVolumeClaims, "default", "c"); }) ==
        ApiErrorKind::server_error);
  server.inject({{"clear", true}});
  CHECK(kind_of([&] { impatient.get(kPersistentVolumeClaims, "default", "c"); }) ==
        ApiErrorKind::not_found);
}

TEST_CASE("a refused connection is a transport error") {
  TestApiServer server;
  TempDir dir;
  ApiClient client(load_kubeconfig_file(write_kubeconfig(
                       dir, "https://127.0.0.1:1", server.ca_path(), "token: " + server.token())),
                   {.max_retries = 1, .on_forbidden = {}});
  CHECK(kind_of([&] { client.list(kPersistentVolumeClaims); }) == ApiErrorKind::transport);
}

// A stop ends a watch from the stopping thread, with no poller: whether it comes before the
// connection exists, while it is made, or while the stream idles, the watch returns at once.
TEST_CASE("a watch returns promptly when stopped before, while or after it connects") {
  TestApiServer server;
  ApiClient client = client_for(server);
  const auto watch_until = [&](std::stop_token stop) {
    WatchOptions options;
    options.timeout_seconds = 300;  // the server would keep an idle stream for minutes
    int events = 0;
    client.watch(
        kPersistentVolumeClaims, "default", options, [&](const json&) { return ++events < 1000; },
        stop);
    return events;
  };
  using Clock = std::chrono::steady_clock;
  {
    std::stop_source stopped;
    stopped.request_stop();
    const auto start = Clock::now();
    CHECK(watch_until(stopped.get_token()) == 0);
    CHECK(Clock::now() - start < std::chrono::seconds(1));
  }
  // Stops 0 to 20 ms after the start: some land before send() has its socket in use, where
  // httplib's stop() cannot reach the request, and must still end it.
  for (int delay_ms = 0; delay_ms <= 20; ++delay_ms) {
    std::stop_source source;
    const auto start = Clock::now();
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      source.request_stop();
    });
    watch_until(source.get_token());
    stopper.join();
    INFO("stop after " << delay_ms << " ms");
    CHECK(Clock::now() - start < std::chrono::seconds(5));
  }
}

// ClientOptions::stop ends a call wherever it waits: for a rate-limiter token, for a slow
// answer, or before it starts; a client without it (the Lease's) is not affected.
TEST_CASE("a stop ends a call waiting for its answer or for a rate-limiter token at once") {
  using Clock = std::chrono::steady_clock;
  TestApiServer server;
  std::stop_source source;
  ClientOptions options;
  options.stop = source.get_token();
  // Stops after 200 ms, runs call, and returns how long it took after the stop.
  const auto stopped_call = [&](const std::function<void()>& call) {
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      source.request_stop();
    });
    ApiErrorKind kind = ApiErrorKind::other;
    std::string text;
    try {
      call();
    } catch (const ApiError& e) {
      kind = e.kind();
      text = e.what();
    }
    const auto ended = Clock::now();
    stopper.join();
    CHECK(kind == ApiErrorKind::cancelled);
    CHECK_THAT(text, Catch::Contains("cancelled"));
    return ended;
  };

  SECTION("an answer 4 s away") {
    ApiClient client = client_for(server, options);
    server.inject({{"latency_ms", 4000}});
    const auto start = Clock::now();
    const auto ended = stopped_call([&] { client.list(kPersistentVolumeClaims); });
    CHECK(ended - start < std::chrono::seconds(2));
    server.inject({{"clear", true}});
  }
  SECTION("a token 100 s away") {
    options.qps = 0.01;
    options.burst = 1;
    ApiClient client = client_for(server, options);
    client.list(kPersistentVolumeClaims);  // the burst's one token
    const auto start = Clock::now();
    const auto ended = stopped_call([&] { client.list(kPersistentVolumeClaims); });
    CHECK(ended - start < std::chrono::seconds(2));
  }
  SECTION("a stop before the call: nothing is sent") {
    ApiClient client = client_for(server, options);
    source.request_stop();
    CHECK(kind_of([&] {
            client.create(kPersistentVolumeClaims, "default", claim("default", "c"));
          }) == ApiErrorKind::cancelled);
    ApiClient unstopped = client_for(server);
    CHECK(kind_of([&] { unstopped.get(kPersistentVolumeClaims, "default", "c"); }) ==
          ApiErrorKind::not_found);
  }
}

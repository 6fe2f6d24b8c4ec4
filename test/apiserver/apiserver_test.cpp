// kube-test-apiserver over real HTTPS with httplib: the API semantics a client relies on.
#include <catch2/catch.hpp>

#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "test/apiserver/test_apiserver.h"
#include "test/support/objects.h"

namespace testing = nfsprov::testing;
using nfsprov::testing::TestApiServer;
using nlohmann::json;

namespace {

constexpr const char* kClaims = "/api/v1/namespaces/default/persistentvolumeclaims";
constexpr const char* kVolumes = "/api/v1/persistentvolumes";

struct Reply {
  int status;
  json body;
  std::string retry_after;
};

class Client {
 public:
  explicit Client(const TestApiServer& server, std::string token = "")
      : server_(server), token_(token.empty() ? server.token() : token) {}

  Reply call(const std::string& method, const std::string& path, const json& body = nullptr,
             const std::string& type = "application/json") {
    auto c = make();
    httplib::Result r{nullptr, httplib::Error::Unknown};
    std::string text = body.is_null() ? "" : body.dump();
    if (method == "GET") r = c->Get(path.c_str());
    if (method == "POST") r = c->Post(path.c_str(), text, type.c_str());
    if (method == "PUT") r = c->Put(path.c_str(), text, type.c_str());
    if (method == "PATCH") r = c->Patch(path.c_str(), text, type.c_str());
    if (method == "DELETE") r = c->Delete(path.c_str(), text, type.c_str());
    REQUIRE(r);
    json parsed = json::parse(r->body, nullptr, false);
    return {r->status, parsed, r->get_header_value("Retry-After")};
  }

  // Reads a watch to its end (the server ends it after timeoutSeconds).
  // cut: set when the server dropped the connection instead of ending the stream.
  std::vector<json> watch(const std::string& path_and_query, bool* cut = nullptr) {
    auto c = make();
    std::string buffer;
    auto r = c->Get(path_and_query.c_str(), [&](const char* data, size_t n) {
      buffer.append(data, n);
      return true;
    });
    if (cut) {
      *cut = !r;
    } else {
      REQUIRE(r);
      REQUIRE(r->status == 200);
    }
    std::vector<json> events;
    std::istringstream lines(buffer);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) events.push_back(json::parse(line));
    return events;
  }

 private:
  std::unique_ptr<httplib::SSLClient> make() {
    auto port = std::stoi(server_.url().substr(server_.url().rfind(':') + 1));
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    c->set_ca_cert_path(server_.ca_path().c_str());
    c->enable_server_certificate_verification(true);
    if (token_ != "-") c->set_bearer_token_auth(token_.c_str());
    c->set_read_timeout(30, 0);
    return c;
  }
  const TestApiServer& server_;
  std::string token_;
};

// No namespace: the request's path gives it.
json claim(const std::string& name, json labels = json::object()) {
  json claim = testing::claim_object("", name, "managed-nfs-storage");
  claim["metadata"]["labels"] = std::move(labels);
  return claim;
}

json storage_class() {
  return {{"apiVersion", "storage.k8s.io/v1"},
          {"kind", "StorageClass"},
          {"metadata", {{"name", "managed-nfs-storage"}}},
          {"provisioner", "nfs-provisioner"},
          {"parameters", {{"archiveOnDelete", "true"}}}};
}

json claim_ref(const std::string& name, const std::string& uid = "") {
  json ref = {{"kind", "PersistentVolumeClaim"},
              {"apiVersion", "v1"},
              {"namespace", "default"},
              {"name", name}};
  if (!uid.empty()) ref["uid"] = uid;
  return ref;
}

json volume(const std::string& name, const json& ref) {
  json volume = testing::nfs_volume_object(name, "managed-nfs-storage");
  volume["spec"]["claimRef"] = ref;
  return volume;
}

std::string phase_of(Client& api, const std::string& path) {
  return api.call("GET", path).body["status"].value("phase", "");
}

}  // namespace

TEST_CASE("requests without the current bearer token get 401, and the token can rotate") {
  TestApiServer server;
  CHECK(Client(server, "-").call("GET", kClaims).status == 401);
  auto wrong = Client(server, "wrong").call("GET", kClaims);
  CHECK(wrong.status == 401);
  CHECK(wrong.body["kind"] == "Status");
  CHECK(wrong.body["reason"] == "Unauthorized");
  auto old_token = server.token();
  CHECK(Client(server).call("GET", kClaims).status == 200);
  server.rotate_token("rotated-token-1234");
  CHECK(Client(server, old_token).call("GET", kClaims).status == 401);
  CHECK(Client(server, "rotated-token-1234").call("GET", kClaims).status == 200);
}

TEST_CASE("create, get, AlreadyExists, NotFound, Conflict and validation as Status objects") {
  TestApiServer server;
  Client api(server);
  auto created = api.call("POST", kClaims, claim("data"));
  REQUIRE(created.status == 201);
  CHECK(!created.body["metadata"]["uid"].get<std::string>().empty());
  CHECK(!created.body["metadata"]["creationTimestamp"].get<std::string>().empty());
  CHECK(created.body["status"]["phase"] == "Pending");

  auto again = api.call("POST", kClaims, claim("data"));
  CHECK(again.status == 409);
  CHECK(again.body["reason"] == "AlreadyExists");
  CHECK(again.body["status"] == "Failure");

  auto missing = api.call("GET", std::string(kClaims) + "/nope");
  CHECK(missing.status == 404);
  CHECK(missing.body["reason"] == "NotFound");
  CHECK(api.call("GET", "/api/v1/widgets").status == 404);

  json unnamed = claim("");
  unnamed["metadata"].erase("name");
  CHECK(api.call("POST", kClaims, unnamed).status == 422);
  unnamed["metadata"]["generateName"] = "gen-";
  auto generated = api.call("POST", kClaims, unnamed);
  REQUIRE(generated.status == 201);
  CHECK(generated.body["metadata"]["name"].get<std::string>().starts_with("gen-"));

  json elsewhere = claim("x");
  elsewhere["metadata"]["namespace"] = "other";
  CHECK(api.call("POST", kClaims, elsewhere).status == 400);

  auto current = api.call("GET", std::string(kClaims) + "/data").body;
  json stale = current;
  stale["metadata"]["labels"]["a"] = "1";
  auto updated = api.call("PUT", std::string(kClaims) + "/data", stale);
  REQUIRE(updated.status == 200);
  CHECK(std::stoull(updated.body["metadata"]["resourceVersion"].get<std::string>()) >
        std::stoull(current["metadata"]["resourceVersion"].get<std::string>()));
  stale["metadata"]["labels"]["a"] = "2";
  auto conflict = api.call("PUT", std::string(kClaims) + "/data", stale);
  CHECK(conflict.status == 409);
  CHECK(conflict.body["reason"] == "Conflict");
}

TEST_CASE("status subresource, merge and JSON patch") {
  TestApiServer server;
  Client api(server);
  std::string path = std::string(kClaims) + "/data";
  REQUIRE(api.call("POST", kClaims, claim("data")).status == 201);
  auto obj = api.call("GET", path).body;
  obj["status"]["phase"] = "Bound";
  CHECK(api.call("PUT", path, obj).body["status"]["phase"] == "Pending");  // main PUT ignores it
  obj = api.call("GET", path).body;
  obj["status"]["phase"] = "Lost";
  obj["metadata"]["labels"]["ignored"] = "yes";
  auto status = api.call("PUT", path + "/status", obj).body;
  CHECK(status["status"]["phase"] == "Lost");
  CHECK(!status["metadata"]["labels"].contains("ignored"));
  auto merged = api.call("PATCH", path, {{"metadata", {{"labels", {{"m", "1"}}}}}},
                         "application/merge-patch+json");
  CHECK(merged.body["metadata"]["labels"]["m"] == "1");
  auto patched = api.call(
      "PATCH", path, json::array({{{"op", "add"}, {"path", "/metadata/labels/j"}, {"value", "2"}}}),
      "application/json-patch+json");
  CHECK(patched.body["metadata"]["labels"] == json({{"m", "1"}, {"j", "2"}}));
}

TEST_CASE("finalizers delay deletion, and delete preconditions are checked") {
  TestApiServer server;
  Client api(server);
  std::string path = std::string(kClaims) + "/data";
  json c = claim("data");
  c["metadata"]["finalizers"] = {"example.com/keep"};
  auto created = api.call("POST", kClaims, c).body;
  auto wrong_uid = api.call("DELETE", path, {{"preconditions", {{"uid", "not-the-uid"}}}});
  CHECK(wrong_uid.status == 409);
  auto deleted =
      api.call("DELETE", path, {{"preconditions", {{"uid", created["metadata"]["uid"]}}}});
  CHECK(deleted.status == 200);
  auto terminating = api.call("GET", path);
  REQUIRE(terminating.status == 200);
  CHECK(terminating.body["metadata"].contains("deletionTimestamp"));
  auto emptied = api.call("PATCH", path, {{"metadata", {{"finalizers", nullptr}}}},
                          "application/merge-patch+json");
  CHECK(emptied.status == 200);
  CHECK(api.call("GET", path).status == 404);
}

TEST_CASE("list carries a resourceVersion, and label and field selectors filter") {
  TestApiServer server;
  Client api(server);
  api.call("POST", kClaims, claim("web-0", {{"app", "nginx"}, {"tier", "front"}}));
  api.call("POST", kClaims, claim("web-1", {{"app", "nginx"}}));
  api.call("POST", kClaims, claim("db-0", {{"app", "pg"}}));
  auto names = [&](const std::string& query) {
    std::vector<std::string> out;
    auto list = api.call("GET", std::string(kClaims) + "?" + query).body;
    CHECK(!list["metadata"]["resourceVersion"].get<std::string>().empty());
    for (const auto& i : list["items"]) out.push_back(i["metadata"]["name"]);
    return out;
  };
  CHECK(names("labelSelector=app%3Dnginx") == std::vector<std::string>{"web-0", "web-1"});
  CHECK(names("labelSelector=app!%3Dnginx") == std::vector<std::string>{"db-0"});
  CHECK(names("labelSelector=app%20in%20(pg)") == std::vector<std::string>{"db-0"});
  CHECK(names("labelSelector=tier") == std::vector<std::string>{"web-0"});
  CHECK(names("fieldSelector=metadata.name%3Dweb-1") == std::vector<std::string>{"web-1"});
}

TEST_CASE("watch replays changes after a resourceVersion, sends bookmarks, and ends on timeout") {
  TestApiServer server;
  Client api(server);
  auto start = api.call("GET", kClaims).body["metadata"]["resourceVersion"].get<std::string>();
  api.call("POST", kClaims, claim("a"));
  api.call("PATCH", std::string(kClaims) + "/a", {{"metadata", {{"labels", {{"x", "1"}}}}}},
           "application/merge-patch+json");
  api.call("DELETE", std::string(kClaims) + "/a");
  auto events = api.watch(std::string(kClaims) + "?watch=1&resourceVersion=" + start +
                          "&allowWatchBookmarks=true&timeoutSeconds=2");
  std::vector<std::string> types;
  for (const auto& e : events)
    if (e["type"] != "BOOKMARK") types.push_back(e["type"]);
  CHECK(types == std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"});
  bool bookmark = false;
  for (const auto& e : events)
    bookmark = bookmark || (e["type"] == "BOOKMARK" &&
                            !e["object"]["metadata"]["resourceVersion"].get<std::string>().empty());
  CHECK(bookmark);

  api.call("POST", kClaims, claim("b"));
  auto fresh = api.watch(std::string(kClaims) + "?watch=1&timeoutSeconds=1");
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0]["type"] == "ADDED");
  CHECK(fresh[0]["object"]["metadata"]["name"] == "b");
}

TEST_CASE("a watch from a resourceVersion older than the history gets ERROR 410 Expired") {
  TestApiServer::Options options;
  options.history = 3;
  TestApiServer server(options);
  Client api(server);
  auto start = api.call("GET", kClaims).body["metadata"]["resourceVersion"].get<std::string>();
  for (int i = 0; i < 5; ++i) api.call("POST", kClaims, claim("c" + std::to_string(i)));
  auto events = api.watch(std::string(kClaims) + "?watch=1&resourceVersion=" + start);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "ERROR");
  CHECK(events[0]["object"]["code"] == 410);
  CHECK(events[0]["object"]["reason"] == "Expired");
}

TEST_CASE(
    "the binder annotates claims and binds a pre-bound volume, and claim deletion releases it") {
  TestApiServer server;
  Client api(server);
  REQUIRE(api.call("POST", "/apis/storage.k8s.io/v1/storageclasses", storage_class()).status ==
          201);
  auto c = api.call("POST", kClaims, claim("data")).body;
  auto annotated = api.call("GET", std::string(kClaims) + "/data").body;
  CHECK(annotated["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] ==
        "nfs-provisioner");
  std::string uid = c["metadata"]["uid"];
  json pv = {{"apiVersion", "v1"},
             {"kind", "PersistentVolume"},
             {"metadata", {{"name", "pvc-" + uid}}},
             {"spec",
              {{"capacity", {{"storage", "1Gi"}}},
               {"accessModes", {"ReadWriteMany"}},
               {"persistentVolumeReclaimPolicy", "Delete"},
               {"storageClassName", "managed-nfs-storage"},
               {"nfs", {{"server", "127.0.0.1"}, {"path", "/export/x"}}},
               {"claimRef",
                {{"kind", "PersistentVolumeClaim"},
                 {"apiVersion", "v1"},
                 {"namespace", "default"},
                 {"name", "data"},
                 {"uid", uid}}}}}};
  REQUIRE(api.call("POST", kVolumes, pv).status == 201);
  auto bound = api.call("GET", std::string(kClaims) + "/data").body;
  CHECK(bound["status"]["phase"] == "Bound");
  CHECK(bound["spec"]["volumeName"] == "pvc-" + uid);
  CHECK(bound["status"]["capacity"]["storage"] == "1Gi");
  CHECK(bound["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes");
  CHECK(api.call("GET", std::string(kVolumes) + "/pvc-" + uid).body["status"]["phase"] == "Bound");

  // A volume whose claimRef uid is not the live claim's is never bound to it.
  json stranger = pv;
  stranger["metadata"]["name"] = "stranger";
  stranger["spec"]["claimRef"]["uid"] = "00000000-0000-4000-8000-000000000000";
  api.call("POST", kVolumes, stranger);
  CHECK(api.call("GET", std::string(kVolumes) + "/stranger").body["status"]["phase"] == "Released");

  api.call("DELETE", std::string(kClaims) + "/data");
  auto released = api.call("GET", std::string(kVolumes) + "/pvc-" + uid).body;
  CHECK(released["status"]["phase"] == "Released");
  CHECK(released["spec"]["claimRef"]["uid"] == uid);
}

TEST_CASE("a restart keeps objects and the resourceVersion counter") {
  TestApiServer server;
  Client api(server);
  auto created = api.call("POST", kClaims, claim("kept")).body;
  server.restart();
  Client after(server);
  auto got = after.call("GET", std::string(kClaims) + "/kept");
  REQUIRE(got.status == 200);
  CHECK(got.body["metadata"]["uid"] == created["metadata"]["uid"]);
  auto next = after.call("POST", kClaims, claim("new")).body;
  CHECK(std::stoull(next["metadata"]["resourceVersion"].get<std::string>()) >
        std::stoull(created["metadata"]["resourceVersion"].get<std::string>()));
}

TEST_CASE("fault injection: 429 with Retry-After, 503, forced 410, dropped watches") {
  TestApiServer server;
  Client api(server);
  server.inject({{"status", 429}, {"count", 2}, {"retry_after", 3}});
  auto first = api.call("GET", kClaims);
  CHECK(first.status == 429);
  CHECK(first.retry_after == "3");
  CHECK(api.call("GET", kClaims).status == 429);
  CHECK(api.call("GET", kClaims).status == 200);
  server.inject({{"status", 503}, {"count", 1}});
  CHECK(api.call("GET", kClaims).status == 503);
  CHECK(api.call("GET", kClaims).status == 200);

  server.inject({{"expire_next_watch", true}});
  auto expired = api.watch(std::string(kClaims) + "?watch=1&timeoutSeconds=5");
  REQUIRE(expired.size() == 1);
  CHECK(expired[0]["object"]["code"] == 410);

  bool cut = false;
  std::thread watcher(
      [&] { api.watch(std::string(kClaims) + "?watch=1&timeoutSeconds=60", &cut); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto before = std::chrono::steady_clock::now();
  server.inject({{"drop_watches", true}});
  watcher.join();
  // The watch asked for 60 s; it ended because it was dropped.
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(30));
  CHECK(cut);
}

TEST_CASE("after a restart the binder still finds a pre-bound volume and binds its claim") {
  TestApiServer server;
  Client api(server);
  // Pre-bound by name only: it waits, Available, for a claim that does not exist yet.
  REQUIRE(api.call("POST", kVolumes, volume("reserved", claim_ref("later"))).status == 201);
  CHECK(phase_of(api, std::string(kVolumes) + "/reserved") == "Available");
  server.restart();
  Client after(server);
  REQUIRE(after.call("POST", kClaims, claim("later")).status == 201);
  auto bound = after.call("GET", std::string(kClaims) + "/later").body;
  CHECK(bound["status"]["phase"] == "Bound");
  CHECK(bound["spec"]["volumeName"] == "reserved");
  CHECK(phase_of(after, std::string(kVolumes) + "/reserved") == "Bound");
}

TEST_CASE("a bound volume is Released when its claim goes after or while the server restarts") {
  TestApiServer server;
  Client api(server);
  for (const char* name : {"gone-after", "gone-while", "replaced-while"}) {
    auto c = api.call("POST", kClaims, claim(name)).body;
    REQUIRE(api.call("POST", kVolumes,
                     volume(std::string("pv-") + name, claim_ref(name, c["metadata"]["uid"])))
                .status == 201);
    REQUIRE(phase_of(api, std::string(kVolumes) + "/pv-" + name) == "Bound");
  }
  // While the server is down, one claim goes and another is recreated under its name (a new
  // uid, so not the claim its volume was bound to).
  server.restart([](json& state) {
    json claims = json::array();
    for (auto c : state["objects"]["persistentvolumeclaims"]) {
      if (c["metadata"]["name"] == "gone-while") continue;
      if (c["metadata"]["name"] == "replaced-while") {
        c["metadata"]["uid"] = "00000000-0000-4000-8000-000000000001";
        c["metadata"].erase("annotations");
        c["spec"].erase("volumeName");
        c["status"] = {{"phase", "Pending"}};
      }
      claims.push_back(c);
    }
    state["objects"]["persistentvolumeclaims"] = claims;
  });
  Client after(server);
  CHECK(phase_of(after, std::string(kVolumes) + "/pv-gone-while") == "Released");
  CHECK(phase_of(after, std::string(kVolumes) + "/pv-replaced-while") == "Released");
  auto replaced = after.call("GET", std::string(kClaims) + "/replaced-while").body;
  CHECK(replaced["status"]["phase"] == "Pending");
  CHECK(!replaced["spec"].contains("volumeName"));
  CHECK(phase_of(after, std::string(kVolumes) + "/pv-gone-after") == "Bound");

  REQUIRE(after.call("DELETE", std::string(kClaims) + "/gone-after").status == 200);
  CHECK(phase_of(after, std::string(kVolumes) + "/pv-gone-after") == "Released");
}

TEST_CASE("boolean query parameters are read as the real server reads them, never rejected") {
  TestApiServer server;
  Client api(server);
  REQUIRE(api.call("POST", kClaims, claim("one")).status == 201);
  // A watch answers with the claim as one ADDED event (then ends after 1 s), a list with a List.
  auto answer = [&](const std::string& query) {
    auto r = api.call("GET", std::string(kClaims) + "?timeoutSeconds=1" + query);
    CHECK(r.status == 200);
    return r.body.contains("type") ? r.body["type"].get<std::string>() : r.body.value("kind", "");
  };
  for (const char* query :
       {"", "&watch=0", "&watch=false", "&watch=False", "&watch=FALSE", "&watch=fAlSe"}) {
    INFO(query);
    CHECK(answer(query) == "PersistentVolumeClaimList");
  }
  // Not strconv.ParseBool: "f" is true, and so are "yes" and the empty value.
  for (const char* query :
       {"&watch=True", "&watch=t", "&watch=f", "&watch=yes", "&watch=", "&watch"}) {
    INFO(query);
    CHECK(answer(query) == "ADDED");
  }

  auto rv = api.call("GET", kClaims).body["metadata"]["resourceVersion"].get<std::string>();
  auto bookmarks = [&](const std::string& value) {
    int n = 0;
    for (const auto& e : api.watch(std::string(kClaims) + "?watch=1&timeoutSeconds=2" +
                                   "&resourceVersion=" + rv + "&allowWatchBookmarks=" + value))
      n += e["type"] == "BOOKMARK";
    return n;
  };
  CHECK(bookmarks("yes") > 0);
  CHECK(bookmarks("False") == 0);
}

TEST_CASE("dryRun=All validates and answers without changing anything, other values are 422") {
  TestApiServer server;
  Client api(server);
  std::string path = std::string(kClaims) + "/kept";
  auto kept = api.call("POST", kClaims, claim("kept")).body;
  std::string rv = kept["metadata"]["resourceVersion"];
  auto current_rv = [&] {
    return api.call("GET", kClaims).body["metadata"]["resourceVersion"].get<std::string>();
  };
  REQUIRE(current_rv() == rv);

  auto ghost = api.call("POST", std::string(kClaims) + "?dryRun=All", claim("ghost"));
  CHECK(ghost.status == 201);
  CHECK(ghost.body["metadata"]["name"] == "ghost");
  CHECK(!ghost.body["metadata"]["uid"].get<std::string>().empty());
  CHECK(!ghost.body["metadata"].contains("resourceVersion"));  // as the real server answers
  CHECK(api.call("GET", std::string(kClaims) + "/ghost").status == 404);
  json unnamed = claim("");
  unnamed["metadata"].erase("name");
  unnamed["metadata"]["generateName"] = "gen-";
  auto generated = api.call("POST", std::string(kClaims) + "?dryRun=All", unnamed);
  CHECK(generated.status == 201);
  CHECK(generated.body["metadata"]["name"].get<std::string>().starts_with("gen-"));
  // Validation still runs.
  CHECK(api.call("POST", std::string(kClaims) + "?dryRun=All", claim("kept")).status == 409);

  json labelled = kept;
  labelled["metadata"]["labels"]["put"] = "1";
  auto put = api.call("PUT", path + "?dryRun=All", labelled);
  CHECK(put.status == 200);
  CHECK(put.body["metadata"]["labels"]["put"] == "1");
  CHECK(put.body["metadata"]["resourceVersion"] == rv);
  auto patched =
      api.call("PATCH", path + "?dryRun=All&dryRun=All",
               {{"metadata", {{"labels", {{"patch", "1"}}}}}}, "application/merge-patch+json");
  CHECK(patched.status == 200);
  CHECK(patched.body["metadata"]["labels"]["patch"] == "1");
  CHECK(api.call("DELETE", path + "?dryRun=All").status == 200);
  // With a body, a DELETE's options come from the body alone (the query is not read).
  CHECK(api.call("DELETE", path + "?dryRun=bogus", {{"dryRun", {"All"}}}).status == 200);
  CHECK(api.call("GET", path + "?dryRun=bogus").status == 200);  // reads ignore dryRun

  for (const auto& [method, query, kind] : std::vector<std::array<std::string, 3>>{
           {"POST", "?dryRun=all", "CreateOptions"},
           {"PUT", "/kept?dryRun=", "UpdateOptions"},
           {"PATCH", "/kept?dryRun=All&dryRun=x", "PatchOptions"},
           {"DELETE", "/kept?dryRun=x", "DeleteOptions"}}) {
    INFO(method << " " << query);
    json body = method == "POST"    ? claim("bad")
                : method == "PUT"   ? kept
                : method == "PATCH" ? json{{"metadata", {{"labels", {{"bad", "1"}}}}}}
                                    : json(nullptr);
    auto bad = api.call(method, std::string(kClaims) + query, body,
                        method == "PATCH" ? "application/merge-patch+json" : "application/json");
    CHECK(bad.status == 422);
    CHECK(bad.body["reason"] == "Invalid");
    CHECK(bad.body["message"].get<std::string>().starts_with(kind + ".meta.k8s.io"));
  }
  CHECK(api.call("DELETE", path, {{"dryRun", {"x"}}}).status == 422);

  auto after = api.call("GET", path).body;
  CHECK(after == kept);
  CHECK(current_rv() == rv);
  // Nothing above reached a watch: from rv it sees only this real write.
  api.call("PATCH", path, {{"metadata", {{"labels", {{"real", "1"}}}}}},
           "application/merge-patch+json");
  auto events = api.watch(std::string(kClaims) + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "MODIFIED");
  CHECK(events[0]["object"]["metadata"]["labels"] == json({{"real", "1"}}));
  CHECK(api.call("DELETE", path).status == 200);
  CHECK(api.call("GET", path).status == 404);
}

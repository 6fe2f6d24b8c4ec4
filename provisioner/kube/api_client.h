// ApiClient: typed calls to the Kubernetes API over HTTPS (cpp-httplib + OpenSSL).
// Thread-safe: the controller's workers, the informers and the lease elector share one.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "provisioner/base/defaults.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/kube_api.h"
#include "provisioner/kube/kube_config.h"
#include "provisioner/kube/resource.h"

namespace nfsprov::kube {

struct ClientOptions {
  double qps = base::defaults::kApiQps;  // client-side rate limit
  int burst = base::defaults::kApiBurst;
  std::chrono::milliseconds request_timeout{30000};
  // How often a 429/503 answer is retried (honouring Retry-After) before it is thrown.
  int max_retries = 5;
  // Told about every 403 answer (the server's message names the verb and resource that the
  // RBAC rules lack), before the error is thrown: a missing permission must not hide in
  // one worker's retry loop. Must be thread-safe and quick.
  std::function<void(const ApiError& forbidden)> on_forbidden;
  // Once requested, every call ends at once with ApiError (kind cancelled): its
  // wait for a rate-limiter token, its back-off before a retry, and its request under way
  // (the connection is shut down from the stopping thread, as a watch's is). Unset for a
  // client that must still speak after the stop (the Lease's release, the last Events).
  std::stop_token stop = {};
};

// Initialised so designated initialisers ({.label_selector = "app=web"}) compile warning-free.
struct ListOptions {
  std::string label_selector = {};
  std::string field_selector = {};
  // "" = the most recent (from etcd); "0" = any (the watch cache); else not older than it.
  std::string resource_version = {};
  int limit = 0;                    // at most this many items per page (0: all at once)
  std::string continue_token = {};  // the next page of an earlier list (metadata.continue)
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // watch every change after this version
  int timeout_seconds = 300;     // the server closes the stream after this long
  bool allow_bookmarks = true;
};

class ApiClient : public KubeApi {
 public:
  ApiClient(KubeConfig config, ClientOptions options = {});
  ~ApiClient() override;
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Each call throws ApiError. `ns` is ignored for cluster-scoped resources.
  nlohmann::json get(const Resource& r, std::string_view ns, std::string_view name) override;
  nlohmann::json list(const Resource& r, std::string_view ns = {}, const ListOptions& = {});
  // The same list, each item handed to on_item as it is parsed, in order; returns the rest of
  // the answer (metadata: resourceVersion, continue) without "items". A page of 500 objects
  // never exists as one tree: what the informers' lists use.
  nlohmann::json list_items(const Resource& r, std::string_view ns, const ListOptions& options,
                            const std::function<void(nlohmann::json&& item)>& on_item);
  nlohmann::json create(const Resource& r, std::string_view ns,
                        const nlohmann::json& object) override;
  // PUT of the whole object; metadata.resourceVersion gives optimistic concurrency.
  nlohmann::json update(const Resource& r, const nlohmann::json& object) override;
  nlohmann::json merge_patch(const Resource& r, std::string_view ns, std::string_view name,
                             const nlohmann::json& patch) override;
  nlohmann::json merge_patch_status(const Resource& r, std::string_view ns, std::string_view name,
                                    const nlohmann::json& patch) override;
  // DELETE; with a uid precondition when given (never deletes a recreated namesake).
  void remove(const Resource& r, std::string_view ns, std::string_view name,
              std::optional<std::string> uid_precondition = std::nullopt) override;

  // Streams watch events ({"type": ..., "object": ...}) to on_event as they arrive, one
  // call per event. Returns when the server ends the stream, when on_event returns false, or
  // as soon as stop is requested (the stream's socket is shut down then: an idle stream is
  // left at once, and no thread polls for it). Throws ApiError (kind gone for 410 answers
  // and for ERROR events carrying code 410).
  void watch(const Resource& r, std::string_view ns, const WatchOptions& options,
             const std::function<bool(const nlohmann::json& event)>& on_event,
             std::stop_token stop = {});

  // Closes pooled connections beyond keep, the longest idle first: a burst opens one per
  // concurrent caller (up to 16), each with its TLS session and buffers, and the quiet that
  // follows needs one.
  void close_idle_connections(std::size_t keep);

  // GET of a raw path (e.g. "/version"): for start-up checks.
  nlohmann::json get_path(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nfsprov::kube

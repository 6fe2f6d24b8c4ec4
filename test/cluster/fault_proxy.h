// FaultProxy: a TLS proxy on 127.0.0.1 between a client (the provisioner) and the real
// kube-apiserver of a KubeCluster, for the faults a real server does not make on demand:
// 429 with Retry-After, 5xx bursts, latency, cut watch streams, an expired watch (410), and
// idle keep-alive connections closed by the server. Requests are forwarded as they came
// (bearer-token credentials pass through; client certificates cannot), answers as they went.
// Faults use the vocabulary of test/apiserver's Faults: {"status":429,"count":3,"retry_after":1},
// {"latency_ms":200}, {"drop_watches":true}, {"expire_next_watch":true}, {"refuse":"POST /p"},
// {"hold":"POST /p"}, {"clear":true}.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "test/cluster/kube_cluster.h"

namespace nfsprov::testing {

class FaultProxy {
 public:
  struct Options {
    // The server closes a keep-alive connection idle this long (kube-apiserver: about 90 s).
    std::chrono::seconds idle_timeout{90};
  };
  FaultProxy(const KubeCluster& cluster, Options options);
  explicit FaultProxy(const KubeCluster& cluster) : FaultProxy(cluster, Options{}) {}
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  void inject(const nlohmann::json& fault);
  // Requests a {"hold":...} fault has held so far: a test's proof that such a write was made
  // and never landed.
  std::size_t held() const;
  // Requests forwarded or answered so far (a test's proof the proxy was on the path).
  std::size_t requests() const { return requests_; }
  // The kubeconfig at `base` with its server replaced by this proxy, written beside it.
  std::filesystem::path kubeconfig_for(const std::filesystem::path& base) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<std::size_t> requests_{0};
  std::jthread thread_;
};

}  // namespace nfsprov::testing

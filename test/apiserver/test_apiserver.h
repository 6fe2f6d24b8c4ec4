// TestApiServer: starts the project's Kubernetes API server for tests (the
// kube-test-apiserver executable) as its own process on 127.0.0.1, with a freshly generated
// CA + serving certificate and a bearer token, and stops it when destroyed.
// CONTRACT: implemented by test/apiserver/test_apiserver.cpp (library np_test_apiserver).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace nfsprov::testing {

class TestApiServer {
 public:
  struct Options {
    std::size_t history = 1000;       // watch events kept; older resourceVersions get 410
    bool controllers = true;          // run the PV binder / storage-provisioner annotator
    std::filesystem::path audit_log;  // when set: one JSON line per request (verb, resource...)
  };
  TestApiServer();
  explicit TestApiServer(Options options);
  ~TestApiServer();  // SIGTERM, then SIGKILL after 2 s; removes its temp dir
  TestApiServer(const TestApiServer&) = delete;
  TestApiServer& operator=(const TestApiServer&) = delete;

  std::string url() const;                        // "https://127.0.0.1:PORT"
  std::filesystem::path kubeconfig_path() const;  // for kubectl --kubeconfig and the provisioner
  std::filesystem::path ca_path() const;          // PEM of the CA that signed the server cert
  std::string token() const;                      // the bearer token accepted now
  std::filesystem::path dir() const;              // its temp dir (certs, state, logs)

  // Accept only new_token from now on (also rewrites the kubeconfig's token).
  void rotate_token(const std::string& new_token);
  // Fault injection, e.g. {"drop_watches": true}, {"expire_next_watch": true},
  // {"status": 429, "count": 3, "retry_after": 1}, {"status": 503, "count": 5},
  // {"latency_ms": 200}, {"clear": true}.
  void inject(const nlohmann::json& fault);
  // Stops and starts the process on the same port, keeping every object and the
  // resourceVersion counter (the watch history is lost, as in a real restart).
  void restart();
  // The same, but edit_state changes the saved state while the server is down (the
  // --state-file JSON: {"resourceVersion": N, "objects": {plural: [object...]}}), to stand
  // for what happened meanwhile, e.g. a claim deleted while a controller was not watching.
  void restart(const std::function<void(nlohmann::json& state)>& edit_state);
  // Runs kubectl against it: returns exit code; output captured into *out when given.
  int kubectl(const std::string& args, std::string* out = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nfsprov::testing

// The HTTPS front of the test API server: bearer-token authentication, fault injection,
// discovery, the resource verbs (including streaming watches) and the audit log.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <httplib.h>

#include "test/apiserver/audit_log.h"
#include "test/apiserver/controllers.h"
#include "test/apiserver/faults.h"
#include "test/apiserver/object_store.h"
#include "test/apiserver/resource_operations.h"

namespace nfsprov::testing::apiserver {

struct ServerConfig {
  std::filesystem::path cert;
  std::filesystem::path key;
  std::filesystem::path token_file;  // re-read on every request, so rotation needs no signal
  std::filesystem::path audit_log;
  std::size_t history = 1000;
  bool controllers = true;
  std::chrono::milliseconds bookmark_interval{1000};
  std::chrono::seconds max_watch{1800};  // like --min-request-timeout
  std::size_t threads = 128;             // each open watch holds one
};

class ApiServer {
 public:
  explicit ApiServer(ServerConfig config);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  ObjectStore& store() { return store_; }
  // Loads persisted objects (before listen), or seeds the built-in namespaces.
  void restore(const nlohmann::json& state);
  void seed();
  int bind(int port);  // 0 = any free port; returns the bound port
  void listen();       // blocks until stop()
  void stop();

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  void serve_api(const httplib::Request& req, httplib::Response& res, nlohmann::json& audit);
  void serve_watch(const ResourceType& type, const std::string& ns, const httplib::Request& req,
                   httplib::Response& res);
  bool authorized(const httplib::Request& req) const;

  ServerConfig config_;
  ObjectStore store_;
  ResourceOperations operations_;
  Controllers controllers_;
  Faults faults_;
  AuditLog audit_;
  httplib::SSLServer http_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
};

}  // namespace nfsprov::testing::apiserver

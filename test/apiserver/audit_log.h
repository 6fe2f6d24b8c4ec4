// One JSON line per request (verb, apiGroup, resource, subresource, namespace, name, code,
// userAgent), so tests can check which permissions a client really used.
#pragma once

#include <filesystem>
#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

namespace nfsprov::testing::apiserver {

class AuditLog {
 public:
  explicit AuditLog(const std::filesystem::path& path);  // empty path: log nothing
  void write(const nlohmann::json& entry);

 private:
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace nfsprov::testing::apiserver

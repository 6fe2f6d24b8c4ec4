#include "test/apiserver/status_error.h"

namespace nfsprov::testing::apiserver {

nlohmann::json failure_status(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason},
          {"code", code}};
}

nlohmann::json StatusError::to_status() const {
  return failure_status(code_, reason_, what());
}

}  // namespace nfsprov::testing::apiserver

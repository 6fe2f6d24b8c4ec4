#include "provisioner/kube/api_error.h"

namespace nfsprov::kube {

ApiError::ApiError(ApiErrorKind kind, int http_status, std::string reason,
                   const std::string& message, std::optional<std::chrono::seconds> retry_after)
    : std::runtime_error(message),
      kind_(kind),
      http_status_(http_status),
      reason_(std::move(reason)),
      retry_after_(retry_after) {}

bool ApiError::retryable() const {
  switch (kind_) {
    case ApiErrorKind::too_many_requests:
    case ApiErrorKind::server_error:
    case ApiErrorKind::timeout:
    case ApiErrorKind::transport:
      return true;
    default:
      return false;
  }
}

}  // namespace nfsprov::kube

// Kubernetes API failures as typed errors: a Status object (or a transport failure) becomes
// an ApiError whose kind the caller switches on.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace nfsprov::kube {

enum class ApiErrorKind {
  not_found,          // 404
  already_exists,     // 409 reason AlreadyExists
  conflict,           // 409 reason Conflict (stale resourceVersion)
  gone,               // 410 Gone / reason Expired (watch or list too old)
  too_many_requests,  // 429, retry_after() set when the server said so
  unauthorized,       // 401
  forbidden,          // 403
  invalid,            // 422 / 400
  server_error,       // 5xx
  timeout,            // the call's own deadline passed
  transport,          // connection refused, TLS failure, reset
  cancelled,          // given up at ClientOptions::stop; its outcome on the server is unknown
  other,
};

class ApiError : public std::runtime_error {
 public:
  ApiError(ApiErrorKind kind, int http_status, std::string reason, const std::string& message,
           std::optional<std::chrono::seconds> retry_after = std::nullopt);

  ApiErrorKind kind() const { return kind_; }
  int http_status() const { return http_status_; }       // 0 for transport failures
  const std::string& reason() const { return reason_; }  // Status.reason, e.g. "AlreadyExists"
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }
  // Worth retrying the same request later (429, 5xx, timeout, transport).
  bool retryable() const;

 private:
  ApiErrorKind kind_;
  int http_status_;
  std::string reason_;
  std::optional<std::chrono::seconds> retry_after_;
};

}  // namespace nfsprov::kube

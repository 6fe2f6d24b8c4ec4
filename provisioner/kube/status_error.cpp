#include "provisioner/kube/status_error.h"

#include <cstdint>
#include <limits>

#include "provisioner/base/host_port.h"

namespace nfsprov::kube {
namespace {

ApiErrorKind kind_for(int code, const std::string& reason) {
  switch (code) {
    case 400:
    case 422:
      return ApiErrorKind::invalid;
    case 401:
      return ApiErrorKind::unauthorized;
    case 403:
      return ApiErrorKind::forbidden;
    case 404:
      return ApiErrorKind::not_found;
    case 409:
      return reason == "AlreadyExists" ? ApiErrorKind::already_exists : ApiErrorKind::conflict;
    case 410:
      return ApiErrorKind::gone;
    case 429:
      return ApiErrorKind::too_many_requests;
    case 504:
      return ApiErrorKind::timeout;
    default:
      if (reason == "Expired" || reason == "Gone") return ApiErrorKind::gone;
      return code >= 500 ? ApiErrorKind::server_error : ApiErrorKind::other;
  }
}

std::optional<std::chrono::seconds> parse_seconds(std::string_view text) {
  // HTTP's delay-seconds: digits only.
  const auto value = base::parse_decimal(text, std::numeric_limits<std::int32_t>::max());
  if (!value) return std::nullopt;
  return std::chrono::seconds(static_cast<std::int64_t>(*value));
}

ApiError build(std::string_view what, int code, const nlohmann::json& status,
               std::optional<std::chrono::seconds> retry_after, std::string_view raw_body) {
  std::string reason;
  std::string message;
  if (status.is_object()) {
    reason = status.value("reason", "");
    message = status.value("message", "");
    if (!retry_after && status.contains("details") && status["details"].is_object()) {
      const auto& details = status["details"];
      if (details.contains("retryAfterSeconds") && details["retryAfterSeconds"].is_number())
        retry_after = std::chrono::seconds(details["retryAfterSeconds"].get<long>());
    }
  }
  if (message.empty()) message = std::string(raw_body.substr(0, 200));
  std::string text = std::string(what) + ": " + std::to_string(code);
  if (!reason.empty()) text += " " + reason;
  if (!message.empty()) text += ": " + message;
  return ApiError(kind_for(code, reason), code, reason, text, retry_after);
}

}  // namespace

ApiError error_from_response(std::string_view what, int http_status, std::string_view body,
                             std::string_view retry_after) {
  nlohmann::json status = nlohmann::json::parse(body, nullptr, false);
  if (status.is_discarded()) status = nullptr;
  return build(what, http_status, status, parse_seconds(retry_after), body);
}

ApiError error_from_status(std::string_view what, const nlohmann::json& status) {
  int code = status.is_object() ? status.value("code", 0) : 0;
  return build(what, code, status, std::nullopt, status.dump());
}

}  // namespace nfsprov::kube

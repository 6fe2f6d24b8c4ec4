// Turns an HTTP answer of the API server (a Kubernetes Status object, usually) into a typed
// ApiError. Pure, for tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "provisioner/kube/api_error.h"

namespace nfsprov::kube {

// `what` names the call ("GET /api/v1/..."), retry_after is the Retry-After header ("" if none).
ApiError error_from_response(std::string_view what, int http_status, std::string_view body,
                             std::string_view retry_after);
// A watch ERROR event's object (a Status) as an ApiError.
ApiError error_from_status(std::string_view what, const nlohmann::json& status);

}  // namespace nfsprov::kube

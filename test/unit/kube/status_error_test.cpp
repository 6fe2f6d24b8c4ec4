// Kubernetes Status answers become typed ApiErrors (provisioner/kube/status_error.h).
#include <catch2/catch.hpp>

#include <chrono>

#include "provisioner/kube/status_error.h"

using namespace nfsprov::kube;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("Kubernetes Status answers become typed ApiErrors") {
  auto status = [](int code, const std::string& reason) {
    return json{{"kind", "Status"}, {"code", code}, {"reason", reason}, {"message", "msg"}}.dump();
  };
  auto e = error_from_response("GET /x", 404, status(404, "NotFound"), "");
  CHECK(e.kind() == ApiErrorKind::not_found);
  CHECK(e.reason() == "NotFound");
  CHECK(std::string(e.what()) == "GET /x: 404 NotFound: msg");
  CHECK_FALSE(e.retryable());
  CHECK(error_from_response("", 409, status(409, "AlreadyExists"), "").kind() ==
        ApiErrorKind::already_exists);
  CHECK(error_from_response("", 409, status(409, "Conflict"), "").kind() == ApiErrorKind::conflict);
  CHECK(error_from_response("", 410, status(410, "Expired"), "").kind() == ApiErrorKind::gone);
  CHECK(error_from_response("", 401, "Unauthorized", "").kind() == ApiErrorKind::unauthorized);
  CHECK(error_from_response("", 403, status(403, "Forbidden"), "").kind() ==
        ApiErrorKind::forbidden);
  CHECK(error_from_response("", 422, status(422, "Invalid"), "").kind() == ApiErrorKind::invalid);
  auto busy = error_from_response("", 503, "", "");
  CHECK(busy.kind() == ApiErrorKind::server_error);
  CHECK(busy.retryable());
  auto throttled = error_from_response("", 429, status(429, "TooManyRequests"), "7");
  CHECK(throttled.kind() == ApiErrorKind::too_many_requests);
  CHECK(throttled.retry_after() == 7s);
  json details = {
      {"code", 429}, {"reason", "TooManyRequests"}, {"details", {{"retryAfterSeconds", 2}}}};
  CHECK(error_from_response("", 429, details.dump(), "").retry_after() == 2s);
  CHECK_FALSE(error_from_response("", 429, "", "soon").retry_after().has_value());
  auto expired = error_from_status(
      "WATCH /x", json{{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}, {"message", "m"}});
  CHECK(expired.kind() == ApiErrorKind::gone);
  CHECK(expired.http_status() == 410);
}

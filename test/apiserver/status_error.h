// A failed API request as the real server reports it: an HTTP code plus a Status reason,
// thrown from deep inside the store and turned into a Status body at the HTTP edge.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace nfsprov::testing::apiserver {

class StatusError : public std::runtime_error {
 public:
  StatusError(int code, std::string reason, const std::string& message)
      : std::runtime_error(message), code_(code), reason_(std::move(reason)) {}
  int code() const { return code_; }
  const std::string& reason() const { return reason_; }
  nlohmann::json to_status() const;

 private:
  int code_;
  std::string reason_;
};

nlohmann::json failure_status(int code, const std::string& reason, const std::string& message);

}  // namespace nfsprov::testing::apiserver

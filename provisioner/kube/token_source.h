// The bearer token: a static one, or a file re-read when it changes, because projected
// service-account tokens are rewritten by the kubelet about hourly.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

namespace nfsprov::kube {

class TokenSource {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  TokenSource(
      std::string token, std::filesystem::path token_file,
      Clock clock = [] { return std::chrono::steady_clock::now(); });

  // The token to send now; the file is stat()ed at most once a second and re-read when its
  // mtime or size changed. A token file wins over a static token.
  std::string current();
  // Re-reads the file now (after a 401). Returns true when the token changed.
  bool reload();
  bool has_file() const { return !file_.empty(); }

 private:
  void read_locked();

  std::string token_;
  std::filesystem::path file_;
  Clock clock_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_check_{};
  std::filesystem::file_time_type mtime_{};
  std::uintmax_t size_ = 0;
};

}  // namespace nfsprov::kube

#include "provisioner/kube/token_source.h"

#include <fstream>
#include <sstream>

namespace nfsprov::kube {

TokenSource::TokenSource(std::string token, std::filesystem::path token_file, Clock clock)
    : token_(std::move(token)), file_(std::move(token_file)), clock_(std::move(clock)) {
  if (!file_.empty()) {
    std::lock_guard lock(mutex_);
    read_locked();
    last_check_ = clock_();
  }
}

void TokenSource::read_locked() {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(file_, ec);
  if (ec) return;  // keep the last token; the server will say 401 if it is stale
  auto size = std::filesystem::file_size(file_, ec);
  if (ec) return;
  std::ifstream in(file_, std::ios::binary);
  if (!in) return;
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  token_ = std::move(token);
  mtime_ = mtime;
  size_ = size;
}

std::string TokenSource::current() {
  std::lock_guard lock(mutex_);
  if (!file_.empty()) {
    const auto now = clock_();
    if (now - last_check_ >= std::chrono::seconds(1)) {
      last_check_ = now;
      std::error_code ec;
      auto mtime = std::filesystem::last_write_time(file_, ec);
      auto size = ec ? size_ : std::filesystem::file_size(file_, ec);
      if (!ec && (mtime != mtime_ || size != size_)) read_locked();
    }
  }
  return token_;
}

bool TokenSource::reload() {
  std::lock_guard lock(mutex_);
  if (file_.empty()) return false;
  std::string before = token_;
  read_locked();
  last_check_ = clock_();
  return token_ != before;
}

}  // namespace nfsprov::kube

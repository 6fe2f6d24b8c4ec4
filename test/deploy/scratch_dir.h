// A test's own folder under the temporary directory, removed when the test ends, pass or fail.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace nfsprov::deploytest {

struct ScratchDir {
  // prefix-<pid>: tests of one binary run one at a time, binaries in parallel.
  explicit ScratchDir(const std::string& prefix)
      : path(std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path path;
};

}  // namespace nfsprov::deploytest

// TempDir: a fresh directory under $TMPDIR for one test or fixture (a child's log, a
// kubeconfig, a server's state), removed with everything in it when the object goes, pass or
// fail.
#pragma once

#include <filesystem>
#include <string>

namespace nfsprov::testing {

class TempDir {
 public:
  // The directory is <prefix>.XXXXXX, unique (mkdtemp): tests of one binary may run at once.
  explicit TempDir(const std::string& prefix = "np-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes text to the file name (a relative path: its folders are made), through a rename so
  // that a reader never sees half of it (a token rotated while read); returns its path.
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace nfsprov::testing

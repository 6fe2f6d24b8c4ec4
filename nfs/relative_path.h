// Validation of paths relative to an export root, done before any RPC is sent: nothing that
// could name the root, climb out of it, or confuse the server gets through.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nfsprov::nfs {

inline constexpr std::size_t max_component_bytes = 255;
inline constexpr std::size_t max_path_bytes = 4096;

class RelativePath {
 public:
  // Throws PathError for: empty (unless allow_root), absolute, "." or ".." components,
  // empty components ("a//b", trailing "/"), NUL bytes, a component over 255 bytes, a path
  // over 4096 bytes. "" is the export root, accepted only with allow_root.
  static RelativePath parse(std::string_view path, bool allow_root = false);

  bool is_root() const { return components_.empty(); }
  const std::vector<std::string>& components() const { return components_; }
  // "a/b/c" ("" for the root).
  std::string str() const;
  // "/a/b/c" as libnfs wants it, relative to the mount ("/" for the root).
  std::string nfs_path() const;
  // The first n components (n <= size), e.g. prefix(1) of "a/b/c" is "a".
  RelativePath prefix(std::size_t n) const;
  RelativePath child(std::string_view name) const;  // name is validated as one component
  RelativePath parent() const;                      // the root's parent is the root

 private:
  std::vector<std::string> components_;
};

}  // namespace nfsprov::nfs

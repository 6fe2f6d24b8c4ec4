#include "nfs/relative_path.h"

#include <algorithm>
#include <cstddef>

#include "nfs/nfs_error.h"

namespace nfsprov::nfs {
namespace {

std::string printable(std::string_view path) {
  std::string out;
  for (char c : path.substr(0, 200)) out += (c == '\0') ? std::string("\\0") : std::string(1, c);
  if (path.size() > 200) out += "...";
  return out;
}

[[noreturn]] void refuse(std::string_view path, const std::string& why) {
  throw PathError("invalid volume path '" + printable(path) + "': " + why);
}

void check_component(std::string_view path, std::string_view c) {
  if (c.empty()) refuse(path, "empty component (\"//\" or a trailing \"/\")");
  if (c == "." || c == "..") refuse(path, "\"" + std::string(c) + "\" components are not allowed");
  if (c.size() > max_component_bytes)
    refuse(path, "a component is longer than " + std::to_string(max_component_bytes) + " bytes");
}

}  // namespace

RelativePath RelativePath::parse(std::string_view path, bool allow_root) {
  RelativePath p;
  if (path.empty()) {
    if (allow_root) return p;
    refuse(path, "empty path (the export root itself)");
  }
  if (path.find('\0') != std::string_view::npos) refuse(path, "contains a NUL byte");
  if (path.size() > max_path_bytes)
    refuse(path, "longer than " + std::to_string(max_path_bytes) + " bytes");
  if (path.front() == '/') refuse(path, "absolute; paths are relative to the export root");
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view c = path.substr(start, slash - start);
    check_component(path, c);
    p.components_.emplace_back(c);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return p;
}

std::string RelativePath::str() const {
  std::string s;
  for (const auto& c : components_) {
    if (!s.empty()) s += '/';
    s += c;
  }
  return s;
}

std::string RelativePath::nfs_path() const {
  return "/" + str();
}

RelativePath RelativePath::prefix(std::size_t n) const {
  RelativePath p;
  p.components_.assign(
      components_.begin(),
      components_.begin() + static_cast<std::ptrdiff_t>(std::min(n, components_.size())));
  return p;
}

RelativePath RelativePath::child(std::string_view name) const {
  if (name.find('\0') != std::string_view::npos) refuse(name, "contains a NUL byte");
  if (name.find('/') != std::string_view::npos) refuse(name, "a name cannot contain \"/\"");
  check_component(name, name);
  RelativePath p = *this;
  p.components_.emplace_back(name);
  if (p.str().size() > max_path_bytes)
    refuse(p.str(), "longer than " + std::to_string(max_path_bytes) + " bytes");
  return p;
}

RelativePath RelativePath::parent() const {
  return prefix(components_.empty() ? 0 : components_.size() - 1);
}

}  // namespace nfsprov::nfs

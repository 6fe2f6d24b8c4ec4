#include "provisioner/core/path_pattern.h"

#include "nfs/values/volume_record.h"
#include "provisioner/core/json_fields.h"

namespace nfsprov::core {
namespace {

const nlohmann::json& metadata_of(const nlohmann::json& claim) {
  return field(claim, "metadata");
}

Refusal invalid_path(std::string_view what, std::string_view path, std::string_view why) {
  return {"InvalidPath", std::string(what) + " \"" + printable(path) + "\" " + std::string(why)};
}

}  // namespace

std::string default_directory_name(const nlohmann::json& claim, std::string_view pv_name) {
  const auto& metadata = metadata_of(claim);
  return string_field(metadata, "namespace") + "-" + string_field(metadata, "name") + "-" +
         std::string(pv_name);
}

std::string expand_path_pattern(std::string_view pattern, const nlohmann::json& claim) {
  static constexpr std::string_view kOpen = "${.PVC.";
  const auto& metadata = metadata_of(claim);
  std::string out;
  std::size_t pos = 0;
  while (pos < pattern.size()) {
    std::size_t start = pattern.find(kOpen, pos);
    if (start == std::string_view::npos) break;
    std::size_t close = pattern.find('}', start + kOpen.size());
    if (close == std::string_view::npos) break;
    std::string_view inner = pattern.substr(start + kOpen.size(), close - start - kOpen.size());
    // Go's regexp '.' does not match a newline: no match starting here.
    if (inner.find('\n') != std::string_view::npos) {
      out.append(pattern.substr(pos, start + 1 - pos));
      pos = start + 1;
      continue;
    }
    out.append(pattern.substr(pos, start - pos));
    if (inner.starts_with("labels.")) {
      out += string_field(field(metadata, "labels"), inner.substr(7));
    } else if (inner.starts_with("annotations.")) {
      out += string_field(field(metadata, "annotations"), inner.substr(12));
    } else if (inner == "name" || inner == "namespace") {
      out += string_field(metadata, inner);
    }
    pos = close + 1;
  }
  if (pos < pattern.size()) out.append(pattern.substr(pos));
  return out;
}

Outcome<std::string> clean_relative_path(std::string_view path, std::string_view what) {
  if (path.find('\0') != std::string_view::npos) {
    return invalid_path(what, path, "contains a NUL byte");
  }
  // A newline or an escape in a directory name (from a label or an annotation) breaks every
  // listing and log line that shows it, and no real name needs one.
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return invalid_path(what, path, "contains a control character");
  }
  if (path.starts_with('/')) {
    return invalid_path(what, path, "is absolute; it must be relative to the export");
  }
  std::string out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view component = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (component.empty() || component == ".") continue;
    if (component == "..") {
      return invalid_path(what, path, "contains \"..\"; it must stay inside the export");
    }
    if (component.size() > kMaxPathComponentBytes) {
      return invalid_path(
          what, path,
          "has a component longer than 255 bytes (" + std::to_string(component.size()) + ")");
    }
    if (!out.empty()) out.push_back('/');
    out.append(component);
  }
  if (out.empty()) return invalid_path(what, path, "names the export root itself");
  if (out.size() > kMaxPathBytes) {
    return invalid_path(what, path,
                        "is longer than 4096 bytes (" + std::to_string(out.size()) + ")");
  }
  return out;
}

Outcome<std::string> volume_directory(const nlohmann::json& claim,
                                      const std::optional<std::string>& path_pattern,
                                      std::string_view pv_name) {
  Outcome<std::string> directory = std::string{};
  if (path_pattern) {
    std::string expanded = expand_path_pattern(*path_pattern, claim);
    if (!expanded.empty())
      directory = clean_relative_path(
          expanded, "pathPattern \"" + printable(*path_pattern) + "\" expanded to");
  }
  if (const auto* path = std::get_if<std::string>(&directory); path && path->empty())
    directory = clean_relative_path(default_directory_name(claim, pv_name), "directory name");
  // The provisioner's own records live there (nfs/volume_records.h): no volume may.
  if (const auto* path = std::get_if<std::string>(&directory))
    if (*path == nfs::kReservedDirectory ||
        path->starts_with(std::string(nfs::kReservedDirectory) + "/"))
      return invalid_path(
          "directory", *path,
          "is the provisioner's reserved directory " + std::string(nfs::kReservedDirectory));
  return directory;
}

std::string join_export_path(std::string_view export_path, std::string_view directory) {
  while (export_path.ends_with('/')) export_path.remove_suffix(1);
  return std::string(export_path) + "/" + std::string(directory);
}

}  // namespace nfsprov::core

// Where a volume's directory goes inside its export: nfs-subdir's default name
// "<namespace>-<claim name>-<pv name>" or the class's pathPattern, expanded and made safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "provisioner/core/refusal.h"

namespace nfsprov::core {

inline constexpr std::size_t kMaxPathComponentBytes = 255;
inline constexpr std::size_t kMaxPathBytes = 4096;
// How many levels a volume's directory may have (class parameter maxPathDepth, 1..64): each
// level is an NFS lookup on every call for the volume, so a 1000-level annotation would cost
// minutes of NFS work and hold a worker.
inline constexpr std::size_t kDefaultMaxPathDepth = 16;
inline constexpr std::size_t kMaxMaxPathDepth = 64;

// "<namespace>-<claim name>-<pv name>", exactly as nfs-subdir names it.
std::string default_directory_name(const nlohmann::json& claim, std::string_view pv_name);

// nfs-subdir's pathPattern syntax, regex \$\{\.PVC\.((labels|annotations)\.(.*?)|.*?)\}:
// ${.PVC.name}, ${.PVC.namespace}, ${.PVC.labels.KEY}, ${.PVC.annotations.KEY}. Anything else,
// and a missing label or annotation, expands to "". Unlike nfs-subdir (which substitutes
// repeatedly) expansion is one pass: a value that itself looks like ${.PVC...} stays literal.
// No validation here; see clean_relative_path.
std::string expand_path_pattern(std::string_view pattern, const nlohmann::json& claim);

// A path relative to an export, normalised: "//" collapses and "." components drop (as Go's
// filepath.Join would). Refused: empty result (the export root itself), absolute paths, any
// ".." component (filepath.Join would resolve it and escape the base: we never do), NUL bytes,
// a component over 255 bytes, a path over 4096 bytes. `what` names the input in the message.
Outcome<std::string> clean_relative_path(std::string_view path, std::string_view what = "path");

// The directory for a new volume, relative to the export: the default name when there is no
// pattern or it expands to "" (as nfs-subdir), else the cleaned expansion. A pattern with "/"
// creates nested directories, which is allowed while the result is clean.
Outcome<std::string> volume_directory(const nlohmann::json& claim,
                                      const std::optional<std::string>& path_pattern,
                                      std::string_view pv_name);

// Joins an export path ("/data", "/") and a clean relative directory: "/data/a", "/a".
std::string join_export_path(std::string_view export_path, std::string_view directory);

}  // namespace nfsprov::core

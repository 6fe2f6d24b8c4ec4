#include "provisioner/controller/work_key.h"

namespace nfsprov::controller {

namespace {
constexpr std::string_view kClaimPrefix = "claim/";
constexpr std::string_view kVolumePrefix = "volume/";
}  // namespace

std::string claim_key(std::string_view cache_key) {
  return std::string(kClaimPrefix) + std::string(cache_key);
}

std::string volume_key(std::string_view name) {
  return std::string(kVolumePrefix) + std::string(name);
}

std::string WorkKey::str() const {
  return kind == WorkKind::claim ? claim_key(cache_key) : volume_key(cache_key);
}

std::optional<WorkKey> WorkKey::parse(std::string_view key) {
  if (key.starts_with(kClaimPrefix) && key.size() > kClaimPrefix.size())
    return WorkKey{WorkKind::claim, std::string(key.substr(kClaimPrefix.size()))};
  if (key.starts_with(kVolumePrefix) && key.size() > kVolumePrefix.size())
    return WorkKey{WorkKind::volume, std::string(key.substr(kVolumePrefix.size()))};
  return std::nullopt;
}

}  // namespace nfsprov::controller

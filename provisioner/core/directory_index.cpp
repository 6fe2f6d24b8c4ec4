#include "provisioner/core/directory_index.h"

#include "provisioner/core/annotations.h"
#include "provisioner/core/json_fields.h"
#include "provisioner/core/volume_identity.h"

namespace nfsprov::core {

namespace {

constexpr char kSeparator = '\0';

std::string key_of(const std::string& server, const std::string& path) {
  return server + kSeparator + DirectoryIndex::normalized(path);
}

std::string path_of(std::string_view key) {
  return std::string(key.substr(key.find(kSeparator) + 1));
}

}  // namespace

DirectoryIndex::DirectoryIndex(std::string provisioner_name)
    : provisioner_name_(std::move(provisioner_name)) {}

std::string DirectoryIndex::normalized(std::string_view path) {
  std::string out;
  for (const char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

void DirectoryIndex::volume_seen(const nlohmann::json& pv) {
  const auto& metadata = field(pv, "metadata");
  const auto& nfs = field(field(pv, "spec"), "nfs");
  const std::string name = string_field(metadata, "name");
  const std::string server = string_field(nfs, "server");
  const std::string path = string_field(nfs, "path");
  if (name.empty() || server.empty() || path.empty()) return;
  const bool ours = provisioned_by(pv, provisioner_name_);
  std::lock_guard lock(mutex_);
  take_locked(name, Use{key_of(server, path), ours, true});
}

void DirectoryIndex::volume_gone(const std::string& pv_name) {
  std::lock_guard lock(mutex_);
  forget_locked(pv_name);
}

void DirectoryIndex::forget_locked(const std::string& pv_name) {
  auto use = uses_.find(pv_name);
  if (use == uses_.end()) return;
  auto [from, to] = users_.equal_range(use->second.key);
  for (auto it = from; it != to; ++it)
    if (it->second == pv_name) {
      users_.erase(it);
      break;
    }
  uses_.erase(use);
}

void DirectoryIndex::take_locked(const std::string& pv_name, Use use) {
  if (auto old = uses_.find(pv_name); old != uses_.end()) {
    if (old->second.key == use.key) {
      old->second.ours = use.ours;
      old->second.seen = old->second.seen || use.seen;
      return;
    }
    forget_locked(pv_name);
  }
  // users_ names the key and the PV name as the uses_ entry holds them (its node never moves).
  const auto taken = uses_.emplace(pv_name, std::move(use)).first;
  users_.emplace(taken->second.key, taken->first);
}

std::optional<DirectoryUser> DirectoryIndex::overlap_locked(const std::string& key,
                                                            const std::string& pv_name,
                                                            bool above) const {
  // The same directory, then those below it: the keys in ["<key>/", "<key>0"), '0' being
  // the character after '/'. The same key can come twice in the second range only for "/".
  auto [same_from, same_to] = users_.equal_range(key);
  for (auto it = same_from; it != same_to; ++it)
    if (it->second != pv_name) return DirectoryUser{std::string(it->second), path_of(it->first)};
  const std::string below = key.ends_with('/') ? key : key + "/";  // the root is "/"
  const auto below_end = users_.lower_bound(below.substr(0, below.size() - 1) + "0");
  for (auto it = users_.lower_bound(below); it != below_end; ++it)
    if (it->second != pv_name) return DirectoryUser{std::string(it->second), path_of(it->first)};
  if (!above) return std::nullopt;
  // A directory of ours above it: each ancestor, up to the share's root.
  const auto separator = key.find(kSeparator);
  for (auto slash = key.rfind('/'); slash != std::string::npos && slash > separator + 1;
       slash = key.rfind('/', slash - 1)) {
    auto [from, to] = users_.equal_range(std::string_view(key).substr(0, slash));
    for (auto it = from; it != to; ++it)
      if (it->second != pv_name && uses_.find(it->second)->second.ours)
        return DirectoryUser{std::string(it->second), path_of(it->first)};
  }
  return std::nullopt;
}

std::optional<DirectoryUser> DirectoryIndex::reserve(const std::string& server,
                                                     const std::string& path,
                                                     const std::string& pv_name) {
  const std::string key = key_of(server, path);
  std::lock_guard lock(mutex_);
  if (auto found = overlap_locked(key, pv_name, true)) return found;
  take_locked(pv_name, Use{key, true, false});
  return std::nullopt;
}

void DirectoryIndex::release(const std::string& pv_name) {
  std::lock_guard lock(mutex_);
  auto use = uses_.find(pv_name);
  if (use != uses_.end() && !use->second.seen) forget_locked(pv_name);
}

std::optional<DirectoryUser> DirectoryIndex::in_use_below(const std::string& server,
                                                          const std::string& path,
                                                          const std::string& pv_name) const {
  std::lock_guard lock(mutex_);
  return overlap_locked(key_of(server, path), pv_name, false);
}

}  // namespace nfsprov::core

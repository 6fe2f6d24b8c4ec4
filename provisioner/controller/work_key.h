// The work queue's keys: "claim/<namespace>/<name>" and "volume/<name>", one queue for both.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nfsprov::controller {

enum class WorkKind { claim, volume };

struct WorkKey {
  WorkKind kind;
  std::string cache_key;  // the informer's key: "<namespace>/<name>" or "<name>"

  std::string str() const;
  // nullopt for anything that is not one of the two forms.
  static std::optional<WorkKey> parse(std::string_view key);
};

std::string claim_key(std::string_view cache_key);
std::string volume_key(std::string_view name);

}  // namespace nfsprov::controller

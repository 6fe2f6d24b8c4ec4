#include "provisioner/kube/relist_diff.h"

namespace nfsprov::kube {

RelistDiff diff_relist(RecordStore cache, RecordStore fresh) {
  RelistDiff diff;
  diff.cache = std::move(fresh);
  diff.cache.for_each([&](std::string_view key, std::string_view record) {
    auto old = cache.take(key);
    if (!old) {
      diff.added.emplace_back(key);
      return;
    }
    // Another record: a new version, or the same version in another form (the transform's
    // verdict changed: a compact record made whole since its class names us now), which the
    // handlers must hear about. A record is made from its object alone, so an unchanged
    // object has an unchanged record.
    if (*old != record) diff.updated.emplace_back(std::move(*old), std::string(key));
  });
  cache.for_each(
      [&](std::string_view, std::string_view record) { diff.deleted.emplace_back(record); });
  return diff;
}

}  // namespace nfsprov::kube

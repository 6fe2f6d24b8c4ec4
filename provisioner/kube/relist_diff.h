// What changed between the informer's cache and a fresh list (after a 410 Gone): the
// handlers get exactly these, so nothing is missed or delivered twice. Pure, for tests.
// Nothing is held twice: the old cache's records leave it as they go into the difference,
// and what is new is named by its key in the new cache (a relist of 50,000 objects must not
// hold them twice).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "provisioner/kube/record_store.h"

namespace nfsprov::kube {

struct RelistDiff {
  std::vector<std::string> added;                            // keys in cache
  std::vector<std::pair<std::string, std::string>> updated;  // (old record, key in cache)
  std::vector<std::string> deleted;                          // last known records
  RecordStore cache;                                         // the new cache
};

// Objects whose record did not change are not "updated": an object of the same
// resourceVersion is updated only when the informer's transform made another record of it (a
// compact claim record made whole, or the reverse).
RelistDiff diff_relist(RecordStore cache, RecordStore fresh);

}  // namespace nfsprov::kube

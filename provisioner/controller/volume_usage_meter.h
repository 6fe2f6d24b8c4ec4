// VolumeUsageMeter: how much each Bound volume of ours really uses (bytes and inodes, a walk
// of its directory through libnfs), for the metrics and a soft quota: NFS cannot stop a pod
// from writing past its claim's size, so the claim gets a UsageExceedsRequest Warning when its
// volume passes the class's usageWarningPercent of the request, once per crossing. Walks go
// one at a time (one volume, one export at a time) and their NFS calls are capped per second
// (ControllerOptions::usage_ops_per_second), so a Raspberry Pi's NFS server is not flooded.
// They use a client of their own, so the workers keep every client of their pools.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "provisioner/controller/work_context.h"

namespace nfsprov::controller {

class VolumeUsageMeter {
 public:
  explicit VolumeUsageMeter(WorkContext context);

  // Calls its argument with each volume that may be ours, one at a time (the caller's cache
  // need not hold them all as objects at once).
  using VolumeVisitor = std::function<void(const std::function<void(nlohmann::json pv)>& each)>;

  // One pass over the volumes each_volume gives, their classes and claims read from caches.
  // Returns early, reporting nothing more, once stop is requested or the fence closes. Never
  // throws: an export that does not answer is logged and skipped until the next pass.
  void measure(const VolumeVisitor& each_volume, const CacheView& caches, std::stop_token stop);

 private:
  // What a pass keeps of a volume for its minutes: a few strings, not the object (thousands
  // of objects would be tens of megabytes). Its claim is read from the cache when an Event is
  // due.
  struct Volume {
    std::string pv_name;
    std::string claim_namespace;
    std::string claim_name;
    std::string claim_uid;
    std::string request_text;  // spec.capacity.storage
    std::optional<std::uint64_t> requested;
    std::string directory;
    int percent = 100;
  };
  void measure_export(const nfs::ExportAddress& address, const std::vector<Volume>& volumes,
                      const CacheView& caches, std::stop_token stop);
  void report(const Volume& volume, const CacheView& caches, std::uint64_t bytes,
              std::uint64_t inodes);

  WorkContext ctx_;
  std::map<std::string, bool> over_;  // pv -> its last verdict, for once-per-crossing Events
};

}  // namespace nfsprov::controller

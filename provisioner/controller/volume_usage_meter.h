// VolumeUsageMeter: how much each Bound volume of ours really uses (bytes and inodes, a walk
// of its directory through libnfs), for the metrics and a soft quota: NFS cannot stop a pod
// from writing past its claim's size, so the claim gets a UsageExceedsRequest Warning when its
// volume passes the class's usageWarningPercent of the request, once per crossing. Walks go
// one at a time (one volume, one export at a time) and their NFS calls are capped per second
// (ControllerOptions::usage_ops_per_second), so a Raspberry Pi's NFS server is not flooded.
// They use a client of their own, so the workers keep every client of their pools.
//
// The walks reach the export through a WalkedExport, which the meter opens once per export and
// pass: in production a libnfs client (open_walk_client), in the unit tests an in-memory export.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nfs/export_files.h"
#include "nfs/values/export_address.h"
#include "provisioner/controller/work_context.h"

namespace nfsprov::controller {

// An export opened for one pass's walks: its files, and the NFS calls the walks have made on it
// so far (what ControllerOptions::usage_ops_per_second caps, and what the observer is told).
class WalkedExport {
 public:
  virtual ~WalkedExport() = default;
  virtual nfs::ExportFiles& files() = 0;
  virtual std::uint64_t calls() const = 0;

 protected:
  WalkedExport() = default;
  WalkedExport(const WalkedExport&) = default;
  WalkedExport& operator=(const WalkedExport&) = default;
};

// Opens an export for a pass (may throw: the export is then skipped until the next pass). A
// stop must end the call in flight, not only the walk at its next call: a frozen server's
// timeout is not waited out.
using OpenWalkedExport =
    std::function<std::unique_ptr<WalkedExport>(const nfs::ExportAddress&, std::stop_token)>;

// A libnfs client of its own, not one of the workers' pool: a paced pass holds it for minutes,
// and with one worker a pooled client would hold up every provision that long. Its calls time
// out sooner than the address says: a walk that fails on a slow server only leaves this pass's
// figures out. A stop cancels the call in flight.
std::unique_ptr<WalkedExport> open_walk_client(const nfs::ExportAddress& address,
                                               std::stop_token stop);

class VolumeUsageMeter {
 public:
  // open: how each pass reaches an export; the unit tests give in-memory ones.
  explicit VolumeUsageMeter(WorkContext context, OpenWalkedExport open = open_walk_client);

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
  OpenWalkedExport open_;
  std::map<std::string, bool> over_;  // pv -> its last verdict, for once-per-crossing Events
};

}  // namespace nfsprov::controller

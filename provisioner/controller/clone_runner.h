// CloneRunner: the copies cloned claims need (nfs/tree_copy.h), on a thread of its own, so a
// copy of minutes never holds up the work queue's workers and the claims they provision. A
// worker starts a copy and moves on; when the copy ends, its claim is queued again and the
// worker that takes it creates the PV (or reports the failure). Nothing here survives a
// restart: the next leader starts the copy again, and copy_tree keeps what is complete.
//
// The copy itself is a function the runner is given: in production copy_tree between clients of
// the ExportPools, in the unit tests one of their own, which shows the runner's bookkeeping
// (queue, status, cancel, requeue, Events) without an NFS server.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "nfs/export_pool.h"
#include "nfs/tree_copy.h"
#include "provisioner/controller/event_recorder.h"
#include "provisioner/controller/work_context.h"
#include "provisioner/core/clone_source.h"

namespace nfsprov::controller {

struct CloneJob {
  std::string key;      // the claim's work key, queued again when the copy ends
  std::string pv_name;  // the new volume: what the copy is known by
  std::string claim;    // "<namespace>/<name>", for logs
  InvolvedObject involved;
  core::CloneSource source;
  nfs::ExportAddress target_export;
  std::string target_directory;
};

enum class CloneState { none, running, succeeded, failed };

struct CloneStatus {
  CloneState state = CloneState::none;
  nfs::CopyProgress progress;  // when succeeded
  std::chrono::steady_clock::duration took{};
  std::string error;  // when failed
};

// What a finished copy of source did, as the ProvisioningSucceeded Event ends:
// ", cloned from claim ns/src: 3 files (8.0 MiB), 2 directories, 2 symlinks in 0.2 s".
std::string copy_summary(const core::CloneSource& source, const CloneStatus& copy);

class CloneRunner {
 public:
  // Copies job's source directory into its target directory, giving hooks its progress. Ends
  // with NfsError ECANCELED once hooks.cancelled() is true, and a stop ends the NFS call under
  // way too, not only the copy at its next chunk.
  using CopyTree = std::function<nfs::CopyProgress(const CloneJob& job, const nfs::CopyHooks& hooks,
                                                   const std::stop_token& stop)>;

  // pools: the copies walk by file handle, which only a real export (nfs::ExportClient) does.
  // requeue(key) queues a claim again; progress_interval: how often a running copy says how
  // far it got, in an Event on its claim.
  CloneRunner(WorkContext context, nfs::ExportPools& pools,
              std::function<void(const std::string&)> requeue,
              std::chrono::milliseconds progress_interval);
  // The same with copy instead of copy_tree on the pools' clients.
  CloneRunner(WorkContext context, CopyTree copy, std::function<void(const std::string&)> requeue,
              std::chrono::milliseconds progress_interval);
  // Stops a running copy (its NFS call under way cancelled) and joins.
  ~CloneRunner();
  CloneRunner(const CloneRunner&) = delete;
  CloneRunner& operator=(const CloneRunner&) = delete;

  // Queues job unless a copy for its volume is queued, running or finished.
  void start(CloneJob job);
  CloneStatus status(const std::string& pv_name) const;
  // Forgets a finished copy (its PV exists, or its failure was reported).
  void forget(const std::string& pv_name);
  // The claim is gone: its copy stops at the next chunk and is forgotten.
  void cancel(const std::string& pv_name);
  // Stops the running copy and takes no more (leadership ended); idempotent.
  void stop();

 private:
  void loop(std::stop_token stop);
  CloneStatus run(const CloneJob& job, std::stop_token stop);

  WorkContext ctx_;
  CopyTree copy_;
  std::function<void(const std::string&)> requeue_;
  std::chrono::milliseconds progress_interval_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<CloneJob> waiting_;
  std::map<std::string, CloneStatus> copies_;  // by pv name
  std::string cancelled_;                      // the running copy's pv name, once cancelled
  std::jthread thread_;                        // last: started once the rest is ready
};

}  // namespace nfsprov::controller

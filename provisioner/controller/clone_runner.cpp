#include "provisioner/controller/clone_runner.h"

#include <cerrno>
#include <cstdio>

#include "nfs/nfs_error.h"

namespace nfsprov::controller {
namespace {

std::string mebibytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

std::string so_far(const nfs::CopyProgress& p) {
  std::string text = std::to_string(p.files) + " files (" + mebibytes(p.bytes) + "), " +
                     std::to_string(p.directories) + " directories and " +
                     std::to_string(p.symlinks) + " symlinks copied";
  if (p.kept_files > 0)
    text += ", " + std::to_string(p.kept_files) + " files (" + mebibytes(p.kept_bytes) +
            ") kept from an earlier try";
  return text;
}

// A stop ends the NFS call under way too (ECANCELED), not only the copy at its next chunk.
nfs::CopyProgress copy_with_pools(nfs::ExportPools& pools, const CloneJob& job,
                                  const nfs::CopyHooks& hooks, const std::stop_token& stop) {
  const auto& from = job.source.location;
  auto& target_pool = pools.get(job.target_export);
  // One client for both sides when they share an export: a pool of one never deadlocks.
  if (from.export_address.key() == job.target_export.key())
    return target_pool.with_client(stop, [&](nfs::ExportClient& client) {
      return nfs::copy_tree(client, from.directory, client, job.target_directory, hooks);
    });
  return pools.get(from.export_address).with_client(stop, [&](nfs::ExportClient& source) {
    return target_pool.with_client(stop, [&](nfs::ExportClient& target) {
      return nfs::copy_tree(source, from.directory, target, job.target_directory, hooks);
    });
  });
}

}  // namespace

std::string copy_summary(const core::CloneSource& source, const CloneStatus& copy) {
  const auto& p = copy.progress;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(copy.took).count();
  return ", cloned from claim " + source.claim + ": " + std::to_string(p.files + p.kept_files) +
         " files (" + mebibytes(p.bytes + p.kept_bytes) + "), " + std::to_string(p.directories) +
         " directories, " + std::to_string(p.symlinks) + " symlinks in " +
         std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

CloneRunner::CloneRunner(WorkContext context, nfs::ExportPools& pools,
                         std::function<void(const std::string&)> requeue,
                         std::chrono::milliseconds progress_interval)
    : CloneRunner(
          std::move(context),
          [&pools](const CloneJob& job, const nfs::CopyHooks& hooks, const std::stop_token& stop) {
            return copy_with_pools(pools, job, hooks, stop);
          },
          std::move(requeue), progress_interval) {}

CloneRunner::CloneRunner(WorkContext context, CopyTree copy,
                         std::function<void(const std::string&)> requeue,
                         std::chrono::milliseconds progress_interval)
    : ctx_(std::move(context)),
      copy_(std::move(copy)),
      requeue_(std::move(requeue)),
      progress_interval_(progress_interval),
      thread_([this](std::stop_token stop) { loop(stop); }) {}

CloneRunner::~CloneRunner() {
  stop();
}

void CloneRunner::stop() {
  thread_.request_stop();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CloneRunner::start(CloneJob job) {
  {
    std::lock_guard lock(mutex_);
    if (copies_.count(job.pv_name) != 0) return;
    copies_[job.pv_name].state = CloneState::running;
    waiting_.push_back(std::move(job));
  }
  wake_.notify_all();
}

CloneStatus CloneRunner::status(const std::string& pv_name) const {
  std::lock_guard lock(mutex_);
  const auto it = copies_.find(pv_name);
  return it == copies_.end() ? CloneStatus{} : it->second;
}

void CloneRunner::forget(const std::string& pv_name) {
  std::lock_guard lock(mutex_);
  if (const auto it = copies_.find(pv_name);
      it != copies_.end() && it->second.state != CloneState::running)
    copies_.erase(it);
}

void CloneRunner::cancel(const std::string& pv_name) {
  std::lock_guard lock(mutex_);
  if (copies_.erase(pv_name) == 0) return;
  std::erase_if(waiting_, [&](const CloneJob& job) { return job.pv_name == pv_name; });
  cancelled_ = pv_name;  // the running one, if it is this
}

void CloneRunner::loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    CloneJob job;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [this] { return !waiting_.empty(); })) return;
      job = std::move(waiting_.front());
      waiting_.pop_front();
      cancelled_.clear();
    }
    CloneStatus result = run(job, stop);
    {
      std::lock_guard lock(mutex_);
      // Cancelled meanwhile (its claim was deleted): nothing to report, nobody to tell.
      if (copies_.count(job.pv_name) == 0) continue;
      copies_[job.pv_name] = std::move(result);
    }
    if (!stop.stop_requested()) requeue_(job.key);
  }
}

CloneStatus CloneRunner::run(const CloneJob& job, std::stop_token stop) {
  const auto started = std::chrono::steady_clock::now();
  const auto& from = job.source.location;
  ctx_.logger.info("cloning volume",
                   {{"claim", job.claim},
                    {"source", job.source.claim},
                    {"from", from.export_address.display() + " " + from.directory},
                    {"to", job.target_export.display() + " " + job.target_directory}});
  ctx_.events.record(job.involved, EventType::normal, "Cloning",
                     "copying the data of claim " + job.source.claim + " (volume " +
                         job.source.pv_name + ") into volume " + job.pv_name +
                         "; the claim is bound once the copy is complete");
  auto last_report = started;
  nfs::CopyHooks hooks;
  hooks.cancelled = [&] {
    if (stop.stop_requested() || !ctx_.may_act()) return true;
    std::lock_guard lock(mutex_);
    return cancelled_ == job.pv_name;
  };
  hooks.progress = [&](const nfs::CopyProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report < progress_interval_) return;
    last_report = now;
    ctx_.events.record(job.involved, EventType::normal, "Cloning",
                       "copying claim " + job.source.claim + ": " + so_far(p) + " so far");
  };
  CloneStatus status;
  bool stopped = false;  // by a stop, a closed fence or a deleted claim: not a failure
  try {
    status.progress = copy_(job, hooks, stop);
    status.state = CloneState::succeeded;
  } catch (const nfs::NfsError& e) {
    status.state = CloneState::failed;
    status.error = e.what();
    stopped = e.error_number() == ECANCELED;
  } catch (const std::exception& e) {
    status.state = CloneState::failed;
    status.error = e.what();
  }
  status.took = std::chrono::steady_clock::now() - started;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(status.took).count();
  if (status.state == CloneState::failed) {
    if (stopped)
      ctx_.logger.info("clone stopped, to be resumed", {{"claim", job.claim}, {"ms", ms}});
    else
      ctx_.logger.warn("clone failed", {{"claim", job.claim}, {"error", status.error}, {"ms", ms}});
    return status;
  }
  const auto& p = status.progress;
  ctx_.logger.info("cloned volume", {{"claim", job.claim},
                                     {"files", p.files},
                                     {"bytes", p.bytes},
                                     {"kept_files", p.kept_files},
                                     {"skipped", p.skipped},
                                     {"ms", ms}});
  if (p.skipped > 0) {
    std::string names;
    for (const auto& path : p.skipped_paths)
      names += (names.empty() ? "" : ", ") + path.substr(from.directory.size() + 1);
    ctx_.events.record(job.involved, EventType::warning, "CloneSkippedFiles",
                       "skipped " + std::to_string(p.skipped) +
                           " special files (sockets, FIFOs, devices) of claim " + job.source.claim +
                           ", which a copy cannot hold: " + names +
                           (p.skipped > p.skipped_paths.size() ? ", ..." : ""));
  }
  if (!p.owners_kept)
    ctx_.events.record(job.involved, EventType::warning, "CloneOwnersNotKept",
                       "the export of volume " + job.pv_name +
                           " does not let us change owners (root_squash): the copied files "
                           "belong to the user the NFS server maps us to");
  return status;
}

}  // namespace nfsprov::controller

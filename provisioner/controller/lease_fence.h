// LeaseFence: may this process still change anything? With leader election, only while the
// Lease it holds is fresh: until renew_deadline after the start of its last successful write
// of the Lease. Another replica takes over no sooner than lease_duration after it SAW that
// write, so the gap between the two (5 s with client-go's timings) is the time an NFS or API
// call already begun has to finish before anyone else may act.
//
// Judged by the monotonic clock, which runs on while a process is frozen (SIGSTOP, a Pi deep
// in swap, a paused VM): a leader that wakes up after a freeze finds the fence closed before
// its elector thread has even noticed, so no worker's follow-up (undo, retry, Warning) runs.
// Every NFS change (nfs::WriteFence) and every controller step checks it.
#pragma once

#include <atomic>
#include <chrono>
#include <limits>

namespace nfsprov::controller {

class LeaseFence {
 public:
  using Clock = std::chrono::steady_clock;

  // Always open: no leader election, this process acts alone.
  LeaseFence() = default;
  // Closed until the first renewed(); then open for valid_for (the renew deadline) after it.
  explicit LeaseFence(std::chrono::milliseconds valid_for);
  LeaseFence(const LeaseFence&) = delete;
  LeaseFence& operator=(const LeaseFence&) = delete;

  // The Lease was written (acquired or renewed) by a request sent at write_started.
  void renewed(Clock::time_point write_started);
  // Leadership ended (lost, or released at shutdown): closed until the next renewed().
  void revoke();

  bool open() const { return open_at(Clock::now()); }
  bool open_at(Clock::time_point now) const;

 private:
  bool elected_ = false;
  Clock::duration valid_for_{};
  // Clock ticks since its epoch; min() while closed.
  std::atomic<Clock::rep> valid_until_{std::numeric_limits<Clock::rep>::min()};
};

}  // namespace nfsprov::controller

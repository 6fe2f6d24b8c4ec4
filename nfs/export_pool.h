// ExportPool: a few ExportClients for one export, each used by one thread at a time
// (libnfs 4.0.0 contexts must never be shared between threads).
// ExportPools: one pool per export address, for a provisioner serving several servers; the
// controller's VolumeStore.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "nfs/export_client.h"
#include "nfs/nfs_observer.h"
#include "nfs/volume_store.h"

namespace nfsprov::nfs {

class ExportPool {
 public:
  explicit ExportPool(ExportAddress address, std::size_t max_clients = 4, NfsObserver observer = {},
                      WriteFence fence = {});
  ExportPool(const ExportPool&) = delete;
  ExportPool& operator=(const ExportPool&) = delete;

  // Runs fn(ExportClient&) with a client no other thread holds, connecting (or reconnecting
  // after a client went unhealthy) as needed. Waits while all max_clients are busy.
  // Rethrows fn's exceptions; a connect failure throws NfsError (op "mount").
  // Nothing is retried here: the operations are idempotent, the caller's queue retries.
  // A stop requested meanwhile ends the wait for a client, the connect and the call under way
  // at once with NfsError ECANCELED (ExportClient::cancel; that client is then dropped).
  template <class Fn>
  auto with_client(std::stop_token stop, Fn&& fn) -> decltype(fn(std::declval<ExportClient&>())) {
    Lease lease(*this, stop);
    ExportClient& client = lease.client();
    const std::stop_callback cancel(stop, [&client] { client.cancel(); });
    return fn(client);
  }
  template <class Fn>
  auto with_client(Fn&& fn) -> decltype(fn(std::declval<ExportClient&>())) {
    return with_client(std::stop_token{}, std::forward<Fn>(fn));
  }

  const ExportAddress& address() const { return address_; }
  std::size_t max_clients() const { return max_clients_; }
  // Closes idle clients beyond keep: a burst opens up to max_clients connections (each with
  // libnfs's buffers), and the quiet that follows needs one.
  void close_idle(std::size_t keep);

 private:
  // RAII: takes a client out of the pool and gives it back (or drops it when unhealthy).
  class Lease {
   public:
    Lease(ExportPool& pool, const std::stop_token& stop)
        : pool_(pool), client_(pool.acquire(stop)) {}
    ~Lease() { pool_.release(std::move(client_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ExportClient& client() { return *client_; }

   private:
    ExportPool& pool_;
    std::unique_ptr<ExportClient> client_;
  };

  std::unique_ptr<ExportClient> acquire(const std::stop_token& stop);
  void release(std::unique_ptr<ExportClient> client);

  ExportAddress address_;
  std::size_t max_clients_;
  NfsObserver observer_;
  WriteFence fence_;  // given to every client it connects
  std::mutex mutex_;
  std::condition_variable_any available_;  // waits with the caller's stop token
  std::vector<std::unique_ptr<ExportClient>> idle_;
  std::size_t out_ = 0;  // slots taken by callers (including ones still connecting)
};

class ExportPools : public VolumeStore {
 public:
  explicit ExportPools(std::size_t clients_per_export = 4, NfsObserver observer = {})
      : per_export_(clients_per_export), observer_(std::move(observer)) {}
  ExportPools(const ExportPools&) = delete;
  ExportPools& operator=(const ExportPools&) = delete;

  // The pool for address.key(), made on first use. The reference stays valid for the
  // lifetime of this ExportPools.
  ExportPool& get(const ExportAddress& address);
  // Only before the first get(): every client of every pool asks fence before a change.
  void set_write_fence(WriteFence fence);
  // ExportPool::close_idle(keep) on every pool.
  void close_idle(std::size_t keep);

 private:
  // A client of get(address)'s pool.
  void lend(const ExportAddress& address, std::stop_token stop,
            const std::function<void(ExportFiles&)>& fn) override;

  std::size_t per_export_;
  NfsObserver observer_;
  WriteFence fence_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<ExportPool>> pools_;
};

}  // namespace nfsprov::nfs

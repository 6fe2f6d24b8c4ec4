// ExportPool: a few ExportClients for one export, each used by one thread at a time.
// ExportPools: one pool per export address, for a provisioner serving several servers.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "nfs/export_client.h"

namespace nfsprov::nfs {

class ExportPool {
 public:
  explicit ExportPool(ExportAddress address, std::size_t max_clients = 4);

  // Runs fn(ExportClient&) with a client no other thread holds, connecting (or reconnecting
  // a dead one) as needed. Waits while all max_clients are busy. Rethrows fn's exceptions.
  template <class Fn>
  auto with_client(Fn&& fn) -> decltype(fn(std::declval<ExportClient&>()));

  const ExportAddress& address() const { return address_; }

 private:
  class Lease;  // RAII: takes a client out of the pool and returns it
  std::unique_ptr<ExportClient> acquire();
  void release(std::unique_ptr<ExportClient> client);

  ExportAddress address_;
  std::size_t max_clients_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<ExportClient>> idle_;
  std::size_t out_ = 0;  // clients currently held by callers
};

class ExportPools {
 public:
  explicit ExportPools(std::size_t clients_per_export = 4) : per_export_(clients_per_export) {}
  ExportPool& get(const ExportAddress& address);

 private:
  std::size_t per_export_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<ExportPool>> pools_;
};

}  // namespace nfsprov::nfs

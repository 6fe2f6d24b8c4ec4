#include "nfs/export_pool.h"

#include <cerrno>

namespace nfsprov::nfs {

ExportPool::ExportPool(ExportAddress address, std::size_t max_clients, NfsObserver observer,
                       WriteFence fence)
    : address_(std::move(address)),
      max_clients_(max_clients == 0 ? 1 : max_clients),
      observer_(std::move(observer)),
      fence_(std::move(fence)) {}

std::unique_ptr<ExportClient> ExportPool::acquire(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  if (!available_.wait(lock, stop, [&] { return !idle_.empty() || out_ < max_clients_; }))
    throw NfsError("wait", "", address_.display(), ECANCELED,
                   "stopped while every connection to the export was busy");
  ++out_;
  if (!idle_.empty()) {
    auto client = std::move(idle_.back());
    idle_.pop_back();
    return client;
  }
  // Connecting can take up to a timeout: not under the lock, other workers go on.
  NfsObserver observer = observer_;
  lock.unlock();
  try {
    auto client = std::make_unique<ExportClient>(address_, std::move(observer), stop);
    client->set_write_fence(fence_);  // fence_ never changes once the pool is in use
    return client;
  } catch (...) {
    lock.lock();
    --out_;
    available_.notify_one();
    throw;
  }
}

void ExportPool::release(std::unique_ptr<ExportClient> client) {
  std::unique_ptr<ExportClient> dead;
  {
    std::lock_guard lock(mutex_);
    --out_;
    if (client && client->healthy()) {
      idle_.push_back(std::move(client));
    } else {
      dead = std::move(client);  // its slot is free again: the next caller reconnects
    }
  }
  available_.notify_one();
}

void ExportPool::close_idle(std::size_t keep) {
  std::vector<std::unique_ptr<ExportClient>> closing;
  {
    std::lock_guard lock(mutex_);
    while (idle_.size() > keep) {
      closing.push_back(std::move(idle_.front()));  // the longest idle first
      idle_.erase(idle_.begin());
    }
  }
  // Disconnected outside the lock: a worker may take a client meanwhile.
}

ExportPool& ExportPools::get(const ExportAddress& address) {
  std::lock_guard lock(mutex_);
  auto& pool = pools_[address.key()];
  if (!pool) pool = std::make_unique<ExportPool>(address, per_export_, observer_, fence_);
  return *pool;
}

void ExportPools::set_write_fence(WriteFence fence) {
  std::lock_guard lock(mutex_);
  fence_ = std::move(fence);
}

void ExportPools::close_idle(std::size_t keep) {
  std::lock_guard lock(mutex_);
  for (auto& [key, pool] : pools_) pool->close_idle(keep);
}

void ExportPools::lend(const ExportAddress& address, std::stop_token stop,
                       const std::function<void(ExportFiles&)>& fn) {
  get(address).with_client(std::move(stop), [&](ExportClient& client) { fn(client); });
}

}  // namespace nfsprov::nfs

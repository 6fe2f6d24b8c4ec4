#include "provisioner/ops/export_readiness.h"

#include "nfs/nfs_error.h"

namespace nfsprov::ops {

ReadinessCheck export_answers(nfs::ExportPool& pool, std::stop_token stop) {
  return [&pool, stop = std::move(stop)]() -> CheckOutcome {
    try {
      const bool root = pool.with_client(
          stop, [](nfs::ExportClient& client) { return client.stat("").has_value(); });
      if (!root) return {false, pool.address().display() + ": export root not found"};
      return {true, pool.address().display() + " answers"};
    } catch (const nfs::NfsError& e) {
      return {false, e.what()};
    }
  };
}

}  // namespace nfsprov::ops

// Readiness of one NFS export as the provisioner uses it: a client from its pool answers a
// stat of the export root. Wrap in cached_check() before adding it to the ReadinessRegistry.
#pragma once

#include <stop_token>

#include "nfs/export_pool.h"
#include "provisioner/ops/health_server.h"

namespace nfsprov::ops {

// pool must outlive the returned check. Once stop is requested (the provisioner shuts down), a
// check under way ends at once, not after the export's timeout.
ReadinessCheck export_answers(nfs::ExportPool& pool, std::stop_token stop = {});

}  // namespace nfsprov::ops

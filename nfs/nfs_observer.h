// The hook the provisioner's metrics use to see every NFS operation: latency and outcome per
// server and operation, without the nfs/ layer knowing about metrics.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "nfs/values/export_address.h"

namespace nfsprov::nfs {

// Called after each public ExportClient operation (and after each connect, op "mount") with
// how long it took and its errno (0 = ok; EINVAL for a refused path). Called from whichever
// worker thread ran the operation, so it must be thread-safe and quick.
using NfsObserver = std::function<void(const ExportAddress& address, std::string_view op,
                                       std::chrono::nanoseconds took, int err)>;

}  // namespace nfsprov::nfs

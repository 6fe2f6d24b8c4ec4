// VolumeStore: where the volumes' directories live, one export at a time. ExportPools is the
// real one (a few libnfs connections per export); the unit tests use an in-memory one
// (test/fakes/fake_volume_store.h).
#pragma once

#include <functional>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

#include "nfs/export_files.h"
#include "nfs/values/export_address.h"

namespace nfsprov::nfs {

class VolumeStore {
 public:
  virtual ~VolumeStore() = default;

  // Runs fn(ExportFiles&) on the export at address, with files no other thread uses meanwhile,
  // and returns what fn returns. Rethrows fn's exceptions; failing to reach the export throws
  // NfsError. Nothing is retried here: the caller's queue retries.
  // Once stop is requested, waiting for the export and the call under way end at once with
  // NfsError ECANCELED: a stopping provisioner never waits out a frozen server's timeout.
  template <class Fn>
  auto with_export(const ExportAddress& address, std::stop_token stop, Fn&& fn)
      -> std::invoke_result_t<Fn&, ExportFiles&> {
    using Result = std::invoke_result_t<Fn&, ExportFiles&>;
    if constexpr (std::is_void_v<Result>) {
      lend(address, std::move(stop), [&](ExportFiles& files) { fn(files); });
    } else {
      std::optional<Result> result;
      lend(address, std::move(stop), [&](ExportFiles& files) { result.emplace(fn(files)); });
      return std::move(*result);
    }
  }
  template <class Fn>
  auto with_export(const ExportAddress& address, Fn&& fn)
      -> std::invoke_result_t<Fn&, ExportFiles&> {
    return with_export(address, std::stop_token{}, std::forward<Fn>(fn));
  }

 protected:
  VolumeStore() = default;
  VolumeStore(const VolumeStore&) = default;
  VolumeStore& operator=(const VolumeStore&) = default;

 private:
  // with_export's one virtual call: fn must have been called once when it returns normally.
  virtual void lend(const ExportAddress& address, std::stop_token stop,
                    const std::function<void(ExportFiles&)>& fn) = 0;
};

}  // namespace nfsprov::nfs

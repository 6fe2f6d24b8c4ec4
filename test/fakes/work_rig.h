// WorkRig: everything a controller step needs (controller::WorkContext), with the API and the
// volume store in memory, and the Kubernetes objects a step starts from. The informers' caches
// (CacheView) read the fake API's objects, as if they never lagged; a test that needs a lag
// gives a CacheView of its own.
#pragma once

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "provisioner/controller/controller.h"
#include "provisioner/controller/controller_observer.h"
#include "provisioner/controller/event_recorder.h"
#include "provisioner/controller/export_usage_cache.h"
#include "provisioner/controller/refusal_memory.h"
#include "provisioner/controller/work_context.h"
#include "provisioner/core/directory_index.h"
#include "provisioner/log/log.h"
#include "test/fakes/fake_kube_api.h"
#include "test/fakes/fake_volume_store.h"

namespace nfsprov::fakes {

inline constexpr const char* kProvisioner = "example.com/nfs";

// The options a controller of kProvisioner on 10.0.0.5:/srv/nfs has.
controller::ControllerOptions rig_options();

// A claim of class_name, handed over to kProvisioner by the PV controller.
nlohmann::json claim(const std::string& ns, const std::string& name, const std::string& uid,
                     const std::string& class_name = "nfs", const std::string& request = "1Gi");
// A StorageClass of kProvisioner with these parameters.
nlohmann::json storage_class(const std::string& name,
                             const nlohmann::json& parameters = nlohmann::json::object());

// The state of one provisioner process: a fresh WorkRig on the same FakeKubeApi and
// FakeVolumeStore is that process restarted (or another replica).
class WorkRig {
 public:
  WorkRig(FakeKubeApi& api, FakeVolumeStore& volumes,
          controller::ControllerOptions options = rig_options());
  WorkRig(const WorkRig&) = delete;
  WorkRig& operator=(const WorkRig&) = delete;

  controller::WorkContext context();
  // The caches as the fake API's objects are now.
  controller::CacheView caches();
  // The export of rig_options().
  FakeExport& share() { return volumes.at(options.default_export); }
  // The Events posted so far (after every recorded one was posted), by reason.
  std::vector<nlohmann::json> events_with_reason(const std::string& reason);
  std::string log_text() const { return log_stream.str(); }

  FakeKubeApi& api;
  FakeVolumeStore& volumes;
  controller::ControllerOptions options;
  std::ostringstream log_stream;
  log::Logger logger{log_stream, log::Level::debug};
  controller::ControllerObserver observer;
  controller::RefusalMemory refusals{std::chrono::minutes(5)};
  core::DirectoryIndex directories{kProvisioner};
  controller::ExportUsageCache usage{observer, logger};
  // Last: its thread posts to api until it is destroyed.
  controller::EventRecorder events{api, kProvisioner, logger};
};

}  // namespace nfsprov::fakes

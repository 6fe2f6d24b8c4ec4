#include "test/fakes/work_rig.h"

#include "provisioner/kube/resource.h"

namespace nfsprov::fakes {

controller::ControllerOptions rig_options() {
  controller::ControllerOptions options;
  options.provisioner_name = kProvisioner;
  options.default_export.server = "10.0.0.5";
  options.default_export.export_path = "/srv/nfs";
  return options;
}

nlohmann::json claim(const std::string& ns, const std::string& name, const std::string& uid,
                     const std::string& class_name, const std::string& request) {
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolumeClaim"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"uid", uid},
            {"resourceVersion", "1"},
            {"annotations", {{"volume.kubernetes.io/storage-provisioner", kProvisioner}}}}},
          {"spec",
           {{"accessModes", {"ReadWriteMany"}},
            {"storageClassName", class_name},
            {"resources", {{"requests", {{"storage", request}}}}}}}};
}

nlohmann::json storage_class(const std::string& name, const nlohmann::json& parameters) {
  return {{"apiVersion", "storage.k8s.io/v1"},
          {"kind", "StorageClass"},
          {"metadata", {{"name", name}, {"resourceVersion", "1"}}},
          {"provisioner", kProvisioner},
          {"parameters", parameters}};
}

WorkRig::WorkRig(FakeKubeApi& api, FakeVolumeStore& volumes, controller::ControllerOptions options)
    : api(api), volumes(volumes), options(std::move(options)) {}

controller::WorkContext WorkRig::context() {
  return controller::WorkContext{api,      volumes,     events,  logger, observer,
                                 refusals, directories, options, usage};
}

controller::CacheView WorkRig::caches() {
  const auto split = [](const std::string& key) {
    const auto slash = key.find('/');
    return std::pair(key.substr(0, slash), key.substr(slash + 1));
  };
  return controller::CacheView{
      [this, split](const std::string& key) {
        const auto [ns, name] = split(key);
        return api.find(kube::kPersistentVolumeClaims, ns, name);
      },
      [this](const std::string& name) { return api.find(kube::kPersistentVolumes, {}, name); },
      [this](const std::string& name) { return api.find(kube::kStorageClasses, {}, name); }};
}

std::vector<nlohmann::json> WorkRig::events_with_reason(const std::string& reason) {
  events.flush();
  std::vector<nlohmann::json> found;
  for (auto& event : api.objects(kube::kEvents))
    if (event.value("reason", "") == reason) found.push_back(std::move(event));
  return found;
}

}  // namespace nfsprov::fakes

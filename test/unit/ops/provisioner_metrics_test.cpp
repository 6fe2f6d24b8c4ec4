#include "provisioner/ops/provisioner_metrics.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <string>

#include "provisioner/ops/controller_metrics.h"

using namespace nfsprov::ops;
using namespace std::chrono_literals;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST_CASE("build info, leader and queue gauges", "[provisioner_metrics]") {
  MetricsRegistry registry;
  ProvisionerMetrics metrics(registry, "1.2.3");
  auto text = registry.render();
  CHECK(has_line(text, "nfs_provisioner_build_info{version=\"1.2.3\"} 1"));
  CHECK(has_line(text, "nfs_provisioner_leader 0"));
  CHECK(has_line(text, "nfs_provisioner_workqueue_depth 0"));
  CHECK(has_line(text,
                 "# TYPE controller_persistentvolumeclaim_provision_duration_seconds "
                 "histogram"));

  metrics.set_leader(true);
  metrics.set_queue_depth(7);
  text = registry.render();
  CHECK(has_line(text, "nfs_provisioner_leader 1"));
  CHECK(has_line(text, "nfs_provisioner_workqueue_depth 7"));
  metrics.set_leader(false);
  CHECK(has_line(registry.render(), "nfs_provisioner_leader 0"));
}

TEST_CASE("controller hooks move the external-provisioner library's metrics",
          "[provisioner_metrics]") {
  MetricsRegistry registry;
  ProvisionerMetrics metrics(registry, "dev");
  ControllerMetrics observer(metrics);
  nfsprov::controller::ControllerObserver& hooks = observer;

  hooks.provision_succeeded("nfs-client", 30ms);
  hooks.provision_succeeded("nfs-client", 3s);
  hooks.provision_failed("nfs-client", 5ms, "NfsError");
  hooks.delete_succeeded("archive", 20ms);
  hooks.delete_failed("archive", 1ms, "ApiError");
  hooks.delete_failed("archive", 1ms, "ApiError");
  hooks.queue_depth(3);
  hooks.queue_retry();
  hooks.queue_retry();

  const auto text = registry.render();
  CHECK(has_line(
      text,
      "controller_persistentvolumeclaim_provision_total{class=\"nfs-client\",source=\"\"} 2"));
  CHECK(has_line(text,
                 "controller_persistentvolumeclaim_provision_failed_total{class=\"nfs-"
                 "client\",source=\"\"} 1"));
  CHECK(has_line(text,
                 "controller_persistentvolumeclaim_provision_duration_seconds_bucket{"
                 "class=\"nfs-client\",source=\"\",le=\"0.025\"} 0"));
  CHECK(has_line(text,
                 "controller_persistentvolumeclaim_provision_duration_seconds_bucket{"
                 "class=\"nfs-client\",source=\"\",le=\"0.05\"} 1"));
  CHECK(has_line(text,
                 "controller_persistentvolumeclaim_provision_duration_seconds_bucket{"
                 "class=\"nfs-client\",source=\"\",le=\"5\"} 2"));
  CHECK(has_line(text,
                 "controller_persistentvolumeclaim_provision_duration_seconds_sum{"
                 "class=\"nfs-client\",source=\"\"} 3.03"));
  CHECK(has_line(text,
                 "controller_persistentvolumeclaim_provision_duration_seconds_count{"
                 "class=\"nfs-client\",source=\"\"} 2"));
  CHECK(has_line(text, "controller_persistentvolume_delete_total{class=\"archive\"} 1"));
  CHECK(has_line(text, "controller_persistentvolume_delete_failed_total{class=\"archive\"} 2"));
  CHECK(has_line(text,
                 "controller_persistentvolume_delete_duration_seconds_count{class="
                 "\"archive\"} 1"));
  CHECK(has_line(text,
                 "nfs_provisioner_failures_total{operation=\"delete\",class=\"archive\","
                 "reason=\"ApiError\"} 2"));
  CHECK(has_line(text,
                 "nfs_provisioner_failures_total{operation=\"provision\",class=\"nfs-"
                 "client\",reason=\"NfsError\"} 1"));
  CHECK(has_line(text, "nfs_provisioner_workqueue_depth 3"));
  CHECK(has_line(text, "nfs_provisioner_workqueue_retries_total 2"));
}

TEST_CASE("cumulative informer stats become counter increases", "[provisioner_metrics]") {
  MetricsRegistry registry;
  ProvisionerMetrics metrics(registry, "dev");
  ControllerMetrics observer(metrics);

  observer.informer_stats("persistentvolumeclaims", {.watch_restarts = 2, .relists = 1});
  observer.informer_stats("persistentvolumeclaims", {.watch_restarts = 5, .relists = 1});
  observer.informer_stats("persistentvolumes", {.watch_restarts = 0, .relists = 1});
  auto text = registry.render();
  CHECK(has_line(text,
                 "nfs_provisioner_watch_restarts_total{resource=\"persistentvolumeclaims\"} 5"));
  CHECK(has_line(text, "nfs_provisioner_relists_total{resource=\"persistentvolumeclaims\"} 1"));
  CHECK(has_line(text, "nfs_provisioner_relists_total{resource=\"persistentvolumes\"} 1"));
  CHECK(text.find("watch_restarts_total{resource=\"persistentvolumes\"}") == std::string::npos);

  // A smaller value: the informer was recreated and counts from zero again.
  observer.informer_stats("persistentvolumeclaims", {.watch_restarts = 1, .relists = 0});
  text = registry.render();
  CHECK(has_line(text,
                 "nfs_provisioner_watch_restarts_total{resource=\"persistentvolumeclaims\"} 6"));
  CHECK(has_line(text, "nfs_provisioner_relists_total{resource=\"persistentvolumeclaims\"} 1"));
}

TEST_CASE("the NFS observer records latency per export and errors by errno",
          "[provisioner_metrics]") {
  MetricsRegistry registry;
  ProvisionerMetrics metrics(registry, "dev");
  const auto observer = metrics.nfs_observer();
  nfsprov::nfs::ExportAddress address;
  address.server = "10.0.0.5";
  address.export_path = "/srv/nfs";

  observer(address, "mkdir", 200us, 0);
  observer(address, "mkdir", 3ms, EACCES);
  observer(address, "mount", 1ms, 999);
  const auto text = registry.render();
  CHECK(has_line(text,
                 "nfs_provisioner_nfs_operation_duration_seconds_bucket{server=\"10.0.0.5:"
                 "/srv/nfs\",operation=\"mkdir\",le=\"0.00025\"} 1"));
  CHECK(has_line(text,
                 "nfs_provisioner_nfs_operation_duration_seconds_count{server=\"10.0.0.5:"
                 "/srv/nfs\",operation=\"mkdir\"} 2"));
  CHECK(has_line(text,
                 "nfs_provisioner_nfs_operation_errors_total{server=\"10.0.0.5:/srv/nfs\","
                 "operation=\"mkdir\",errno=\"EACCES\"} 1"));
  CHECK(has_line(text,
                 "nfs_provisioner_nfs_operation_errors_total{server=\"10.0.0.5:/srv/nfs\","
                 "operation=\"mount\",errno=\"999\"} 1"));
  CHECK(errno_label(EROFS) == "EROFS");
  CHECK(errno_label(EINTR) == "EINTR");
}

TEST_CASE("two ProvisionerMetrics on one registry share the families", "[provisioner_metrics]") {
  MetricsRegistry registry;
  ProvisionerMetrics first(registry, "dev");
  ProvisionerMetrics second(registry, "dev");
  first.delete_succeeded("c", 1ms);
  second.delete_succeeded("c", 1ms);
  CHECK(has_line(registry.render(), "controller_persistentvolume_delete_total{class=\"c\"} 2"));
}

TEST_CASE("per-volume usage: four series per volume, replaced on re-bind, gone when forgotten",
          "[provisioner_metrics]") {
  MetricsRegistry registry;
  ProvisionerMetrics metrics(registry, "1.2.3");
  // A second one on the same registry (a leader change) writes into the same series.
  ProvisionerMetrics again(registry, "1.2.3");
  metrics.volume_usage("web", "data", "pvc-b", 2048, 3, 1073741824, false);
  again.volume_usage("api", "cache", "pvc-a", 5000, 7, 4096, true);
  const std::string labels_a =
      R"({namespace="api",persistentvolumeclaim="cache",persistentvolume="pvc-a"})";
  const std::string labels_b =
      R"({namespace="web",persistentvolumeclaim="data",persistentvolume="pvc-b"})";
  std::string text = registry.render();
  CHECK(has_line(text, "# TYPE nfs_provisioner_volume_used_bytes gauge"));
  CHECK(has_line(text, "nfs_provisioner_volume_used_bytes" + labels_a + " 5000"));
  CHECK(has_line(text, "nfs_provisioner_volume_used_inodes" + labels_a + " 7"));
  CHECK(has_line(text, "nfs_provisioner_volume_requested_bytes" + labels_a + " 4096"));
  CHECK(has_line(text, "nfs_provisioner_volume_over_request" + labels_a + " 1"));
  CHECK(has_line(text, "nfs_provisioner_volume_used_bytes" + labels_b + " 2048"));
  CHECK(has_line(text, "nfs_provisioner_volume_requested_bytes" + labels_b + " 1073741824"));
  CHECK(has_line(text, "nfs_provisioner_volume_over_request" + labels_b + " 0"));
  // Sorted by label values (namespace first), as every family's series are.
  CHECK(text.find("nfs_provisioner_volume_used_bytes" + labels_a) <
        text.find("nfs_provisioner_volume_used_bytes" + labels_b));

  // The PV bound to another claim: one series, the new labels.
  metrics.volume_usage("web", "data-2", "pvc-b", 4096, 4, 1073741824, false);
  text = registry.render();
  CHECK(text.find(labels_b) == std::string::npos);
  CHECK(has_line(
      text,
      R"(nfs_provisioner_volume_used_bytes{namespace="web",persistentvolumeclaim="data-2",persistentvolume="pvc-b"} 4096)"));

  metrics.volume_forgotten("pvc-a");
  metrics.volume_forgotten("pvc-unknown");  // nothing
  text = registry.render();
  CHECK(text.find(labels_a) == std::string::npos);
  CHECK(text.find("persistentvolume=\"pvc-b\"") != std::string::npos);
}

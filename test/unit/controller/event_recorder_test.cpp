// EventRecorder against the in-memory API: a repeat bumps the count of the first Event,
// record_once writes nothing the server already has, and a failure to post is only logged.
#include <catch2/catch.hpp>

#include <memory>
#include <sstream>
#include <string>

#include "provisioner/controller/event_recorder.h"
#include "provisioner/kube/api_error.h"
#include "provisioner/kube/resource.h"
#include "provisioner/log/log.h"
#include "test/fakes/fake_kube_api.h"

using namespace nfsprov;
using controller::EventRecorder;
using controller::EventType;
using controller::InvolvedObject;

namespace {

InvolvedObject data_claim() {
  return InvolvedObject::of(
      "PersistentVolumeClaim",
      {{"metadata",
        {{"namespace", "web"}, {"name", "data"}, {"uid", "u1"}, {"resourceVersion", "7"}}}});
}

// The API and one provisioner process's recorder.
struct Recording {
  // The process restarts (or another replica leads): a recorder that knows nothing yet.
  void restart() {
    recorder.reset();
    recorder = std::make_unique<EventRecorder>(api, "example.com/nfs", logger);
  }

  fakes::FakeKubeApi api;
  std::ostringstream log_text;
  log::Logger logger{log_text};
  std::unique_ptr<EventRecorder> recorder =
      std::make_unique<EventRecorder>(api, "example.com/nfs", logger);
};

}  // namespace

TEST_CASE("events: an identical repeat bumps the count of the first", "[events]") {
  Recording r;

  r.recorder->record(data_claim(), EventType::warning, "ProvisioningFailed", "no space");
  r.recorder->record(data_claim(), EventType::warning, "ProvisioningFailed", "no space");
  r.recorder->record(data_claim(), EventType::warning, "ProvisioningFailed", "no space");
  r.recorder->flush();

  const auto events = r.api.objects(kube::kEvents);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["count"] == 3);
  CHECK(events[0]["type"] == "Warning");
  CHECK(events[0]["reason"] == "ProvisioningFailed");
  CHECK(events[0]["metadata"]["namespace"] == "web");
  CHECK(events[0]["involvedObject"]["name"] == "data");
  CHECK(r.api.count("create", kube::kEvents) == 1);
  CHECK(r.api.count("patch", kube::kEvents) == 2);
}

TEST_CASE("events: another message is another Event", "[events]") {
  Recording r;

  r.recorder->record(data_claim(), EventType::warning, "ProvisioningFailed", "no space");
  r.recorder->record(data_claim(), EventType::warning, "ProvisioningFailed", "no permission");
  r.recorder->flush();

  CHECK(r.api.objects(kube::kEvents).size() == 2);
}

TEST_CASE("events: a repeat after a restart counts on the Event the last process posted",
          "[events]") {
  Recording r;
  r.recorder->record(data_claim(), EventType::normal, "Provisioning", "provisioning");
  r.recorder->flush();
  r.restart();
  r.recorder->record(data_claim(), EventType::normal, "Provisioning", "provisioning");
  r.recorder->flush();

  const auto events = r.api.objects(kube::kEvents);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["count"] == 2);
}

TEST_CASE("events: record_once writes nothing the server already has", "[events]") {
  Recording r;
  r.recorder->record_once(data_claim(), EventType::warning, "ProvisioningFailed", "refused");
  r.recorder->record_once(data_claim(), EventType::warning, "ProvisioningFailed", "refused");
  r.recorder->flush();
  CHECK(r.api.count("create", kube::kEvents) == 1);
  // The next leader reaches the same verdict.
  r.restart();
  r.recorder->record_once(data_claim(), EventType::warning, "ProvisioningFailed", "refused");
  r.recorder->flush();

  const auto events = r.api.objects(kube::kEvents);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["count"] == 1);
  CHECK(r.api.count("patch", kube::kEvents) == 0);
}

TEST_CASE("events: a failure to post is logged and nothing more", "[events]") {
  Recording r;
  r.api.set_fault([](const fakes::FakeKubeApi::Call&) {
    throw kube::ApiError(kube::ApiErrorKind::forbidden, 403, "Forbidden", "events is forbidden");
  });

  r.recorder->record(data_claim(), EventType::normal, "Provisioning", "provisioning");
  r.recorder->flush();

  CHECK(r.api.objects(kube::kEvents).empty());
  CHECK_THAT(r.log_text.str(), Catch::Contains("cannot record event"));
}

#include <catch2/catch.hpp>

#include "provisioner/core/cache_records.h"
#include "provisioner/core/claim_filter.h"
#include "provisioner/core/packed_object.h"

using namespace nfsprov::core;
using nlohmann::json;

namespace {

constexpr const char* kOurs = "example.com/nfs";

// A claim as kubectl apply leaves it on a real API server: managedFields, last-applied.
json applied_claim(const char* class_name, const char* handed_to = nullptr) {
  json claim = {{"metadata",
                 {{"name", "data"},
                  {"namespace", "web"},
                  {"uid", "0b2c"},
                  {"resourceVersion", "42"},
                  {"labels", {{"app", "www"}}},
                  {"annotations",
                   {{"kubectl.kubernetes.io/last-applied-configuration", std::string(600, 'x')},
                    {"nfs.io/createMode", "0750"}}},
                  {"managedFields",
                   json::array({{{"manager", "kubectl"}, {"fieldsV1", {{"f:spec", {}}}}}})}}},
                {"spec",
                 {{"storageClassName", class_name},
                  {"accessModes", {"ReadWriteMany"}},
                  {"resources", {{"requests", {{"storage", "1Gi"}}}}}}},
                {"status", {{"phase", "Pending"}}}};
  if (handed_to)
    claim["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] = handed_to;
  return claim;
}

ClassProvisioner classes(const char* other_class) {
  return [other_class](const std::string& name) -> std::optional<std::string> {
    if (name == "ours") return kOurs;
    if (name == other_class) return "ebs.csi.aws.com";
    return std::nullopt;
  };
}

}  // namespace

TEST_CASE("cache records: what nothing reads goes, what the planners read stays", "[cache]") {
  const std::string packed = claim_record(applied_claim("ours"), kOurs, classes("gp3"));
  CHECK_FALSE(is_compact(packed));
  REQUIRE(is_packed(packed));
  const json record = load_record(packed);
  CHECK_FALSE(record["metadata"].contains("managedFields"));
  CHECK(record["metadata"]["annotations"] == json{{"nfs.io/createMode", "0750"}});
  CHECK(record["metadata"]["labels"] == json{{"app", "www"}});
  CHECK(record["spec"] == applied_claim("ours")["spec"]);
  CHECK(record["status"] == applied_claim("ours")["status"]);
  CHECK(record["metadata"]["uid"] == "0b2c");
  CHECK(record["metadata"]["resourceVersion"] == "42");
  CHECK_THROWS_AS(expand_claim(packed), json::exception);  // not a compact record
  CHECK(record_class(packed) == "ours");
  CHECK(record_volume_name(packed) == "pvc-0b2c");
  // A class not known yet: kept whole, since it may be ours.
  CHECK_FALSE(is_compact(claim_record(applied_claim("later"), kOurs, classes("gp3"))));
  // Handed to us: whole.
  CHECK_FALSE(is_compact(claim_record(applied_claim("later", kOurs), kOurs, classes("gp3"))));
  // An annotation-less object loses an emptied annotations map.
  json bare = applied_claim("ours");
  bare["metadata"]["annotations"].erase("nfs.io/createMode");
  CHECK_FALSE(trimmed(bare)["metadata"].contains("annotations"));
}

TEST_CASE("cache records: another provisioner's claim is a compact record", "[cache]") {
  const std::string by_class = claim_record(applied_claim("gp3"), kOurs, classes("gp3"));
  const std::string by_handover =
      claim_record(applied_claim("later", "ebs.csi.aws.com"), kOurs, classes("gp3"));
  for (const std::string* record : {&by_class, &by_handover}) {
    CHECK(is_compact(*record));
    CHECK_FALSE(is_packed(*record));
    CHECK(record->size() < 80);  // the full claim: over 900 bytes
  }
  CHECK(compact_for_class(by_class));
  CHECK_FALSE(compact_for_class(by_handover));
  CHECK(record_class(by_class) == "gp3");
  CHECK(record_volume_name(by_class) == "pvc-0b2c");
  CHECK(record_class(claim_record(applied_claim("ours"), kOurs, classes("gp3"))) == "ours");

  // Expanded, it says what the controller asks of another's claim, and that it is compact.
  const json claim = expand_claim(by_handover);
  CHECK(claim["compact"] == true);
  CHECK(claim["metadata"] ==
        json{{"name", "data"},
             {"namespace", "web"},
             {"uid", "0b2c"},
             {"resourceVersion", "42"},
             {"annotations", {{"volume.kubernetes.io/storage-provisioner", "ebs.csi.aws.com"}}}});
  CHECK(claim["spec"] == json{{"storageClassName", "later"}});
  CHECK(claim["status"] == json{{"phase", "Pending"}});
  CHECK(judge_claim(claim, nullptr, kOurs).state != ClaimState::ready);

  // A legacy class annotation and a deletion survive the round trip.
  json legacy = applied_claim("");
  legacy["spec"].erase("storageClassName");
  legacy["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"] = "gp3";
  legacy["metadata"]["deletionTimestamp"] = "2026-12-01T10:00:00Z";
  legacy["spec"]["volumeName"] = "pvc-0b2c";
  const json back = expand_claim(claim_record(legacy, kOurs, classes("gp3")));
  CHECK(claim_class_name(back) == "gp3");
  CHECK(back["metadata"]["deletionTimestamp"] == "2026-12-01T10:00:00Z");
  CHECK(back["spec"]["volumeName"] == "pvc-0b2c");
  // Anything else is no compact record.
  CHECK_FALSE(is_compact(""));
  CHECK_FALSE(is_compact("a plain string"));
  CHECK_FALSE(is_compact(std::string("\xC0\x00", 2)));                          // fields missing
  CHECK_FALSE(is_compact(std::string("\xC0\x08", 2) + std::string(11, '\0')));  // unknown flag
  CHECK_FALSE(is_compact(by_class + "x"));                           // bytes after the fields
  CHECK_FALSE(is_compact(by_class.substr(0, by_class.size() - 1)));  // cut short
  CHECK_THROWS_AS(expand_claim("a plain string"), json::exception);
  // A NUL, or any byte, in a field is kept: the fields are counted, not ended.
  json nul = applied_claim("gp3");
  nul["metadata"]["name"] = std::string("da\0ta", 5);
  const std::string with_nul = claim_record(nul, kOurs, classes("gp3"));
  REQUIRE(is_compact(with_nul));
  CHECK(expand_claim(with_nul)["metadata"]["name"] == std::string("da\0ta", 5));
  // A value too long for a compact record (over 32767 bytes) keeps the claim whole.
  json huge = applied_claim("gp3");
  huge["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] =
      std::string(40000, 'p');
  const std::string whole = claim_record(huge, kOurs, classes("gp3"));
  CHECK(is_packed(whole));
  CHECK(load_record(whole)["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] ==
        std::string(40000, 'p'));
  // A long one (over 127 bytes) takes a two-byte length.
  json longer = applied_claim("gp3");
  longer["metadata"]["name"] = std::string(200, 'n');
  CHECK(expand_claim(claim_record(longer, kOurs, classes("gp3")))["metadata"]["name"] ==
        std::string(200, 'n'));
}

TEST_CASE("cache records: a claim bound by another provisioner as Kubernetes writes it",
          "[cache]") {
  // A canonical uid, both provisioner annotations of one value, the volume "pvc-<uid>": what
  // these leave out comes back.
  const std::string uid = "5911505b-3b2a-4f5e-9c41-0a1b2c3d4e5f";
  json claim = applied_claim("gp3", "ebs.csi.aws.com");
  claim["metadata"]["uid"] = uid;
  claim["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-provisioner"] =
      "ebs.csi.aws.com";
  claim["spec"]["volumeName"] = "pvc-" + uid;
  claim["status"]["phase"] = "Bound";
  const std::string record = claim_record(claim, kOurs, classes("gp3"));
  REQUIRE(is_compact(record));
  CHECK(record.size() < 70);
  const json back = expand_claim(record);
  CHECK(back["metadata"]["uid"] == uid);
  CHECK(back["metadata"]["annotations"] ==
        json{{"volume.kubernetes.io/storage-provisioner", "ebs.csi.aws.com"},
             {"volume.beta.kubernetes.io/storage-provisioner", "ebs.csi.aws.com"}});
  CHECK(back["spec"]["volumeName"] == "pvc-" + uid);
  CHECK(record_volume_name(record) == "pvc-" + uid);
  CHECK_FALSE(compact_for_class(record));
  // Another volume, a beta annotation of another value, an uppercase uid: kept as they are.
  claim["spec"]["volumeName"] = "pv-by-hand";
  claim["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-provisioner"] = "old";
  claim["metadata"]["uid"] = "5911505B-3B2A-4F5E-9C41-0A1B2C3D4E5F";
  const json kept = expand_claim(claim_record(claim, kOurs, classes("gp3")));
  CHECK(kept["spec"]["volumeName"] == "pv-by-hand");
  CHECK(kept["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-provisioner"] == "old");
  CHECK(kept["metadata"]["uid"] == "5911505B-3B2A-4F5E-9C41-0A1B2C3D4E5F");
  // Only the beta annotation, as older kube-controller-managers wrote: still handed over.
  claim["metadata"]["annotations"].erase("volume.kubernetes.io/storage-provisioner");
  const std::string beta_only = claim_record(claim, kOurs, classes("gp3"));
  CHECK_FALSE(compact_for_class(beta_only));
  CHECK_FALSE(expand_claim(beta_only)["metadata"]["annotations"].contains(
      "volume.kubernetes.io/storage-provisioner"));
}

TEST_CASE("cache records: a volume is packed whole, less what nothing reads", "[cache]") {
  const json pv = {
      {"metadata",
       {{"name", "pvc-0b2c"},
        {"uid", "77aa"},
        {"resourceVersion", "43"},
        {"creationTimestamp", "2026-12-01T10:00:00Z"},
        {"managedFields", json::array({{{"manager", "kube-controller-manager"}}})},
        {"annotations", {{"pv.kubernetes.io/provisioned-by", kOurs}}},
        {"finalizers", {"kubernetes.io/pv-protection"}}}},
      {"spec",
       {{"storageClassName", "ours"},
        {"capacity", {{"storage", "1Gi"}}},
        {"nfs", {{"server", "nfs.local"}, {"path", "/export/web-data-pvc-0b2c"}}},
        {"claimRef", {{"namespace", "web"}, {"name", "data"}, {"uid", "0b2c"}}}}},
      {"status", {{"phase", "Bound"}, {"lastPhaseTransitionTime", "2026-12-01T10:00:01Z"}}}};
  const std::string record = volume_record(pv, kOurs);
  REQUIRE(is_packed(record));
  CHECK_FALSE(is_compact(record));
  CHECK(volume_record_class(record) == "ours");
  json expected = pv;
  expected["metadata"].erase("managedFields");
  expected["metadata"].erase("creationTimestamp");
  expected["status"].erase("lastPhaseTransitionTime");
  CHECK(load_record(record) == expected);
  // Packed, it is a fraction of its text.
  CHECK(record.size() < expected.dump().size() * 2 / 3);
}

namespace {

// A volume another provisioner (a CSI driver) made, as a real API server gives it.
json csi_volume() {
  return {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolume"},
      {"metadata",
       {{"name", "pvc-5911505b-6d3e-4a5c-9a0e-1f2b3c4d5e6f"},
        {"uid", "aa11505b-6d3e-4a5c-9a0e-1f2b3c4d5e6f"},
        {"resourceVersion", "812"},
        {"creationTimestamp", "2026-12-01T10:00:00Z"},
        {"annotations",
         {{"pv.kubernetes.io/provisioned-by", "ebs.csi.aws.com"},
          {"volume.kubernetes.io/provisioner-deletion-secret-name", ""}}},
        {"finalizers",
         {"kubernetes.io/pv-protection", "external-provisioner.volume.kubernetes.io/finalizer"}}}},
      {"spec",
       {{"accessModes", {"ReadWriteOnce"}},
        {"capacity", {{"storage", "8Gi"}}},
        {"claimRef",
         {{"apiVersion", "v1"},
          {"kind", "PersistentVolumeClaim"},
          {"namespace", "db"},
          {"name", "data-postgres-0"},
          {"uid", "5911505b-6d3e-4a5c-9a0e-1f2b3c4d5e6f"},
          {"resourceVersion", "800"}}},
        {"csi",
         {{"driver", "ebs.csi.aws.com"},
          {"fsType", "ext4"},
          {"volumeAttributes",
           {{"storage.kubernetes.io/csiProvisionerIdentity",
             "1733040000000-8081-ebs.csi.aws.com"}}},
          {"volumeHandle", "vol-0123456789abcdef0"}}},
        {"nodeAffinity",
         {{"required",
           {{"nodeSelectorTerms",
             {{{"matchExpressions",
                {{{"key", "topology.ebs.csi.aws.com/zone"},
                  {"operator", "In"},
                  {"values", {"eu-west-1a"}}}}}}}}}}}},
        {"persistentVolumeReclaimPolicy", "Delete"},
        {"storageClassName", "gp3"},
        {"volumeMode", "Filesystem"}}},
      {"status", {{"phase", "Bound"}, {"lastPhaseTransitionTime", "2026-12-01T10:00:01Z"}}}};
}

}  // namespace

TEST_CASE("cache records: another provisioner's volume is a compact record", "[cache]") {
  const json pv = csi_volume();
  const std::string record = volume_record(pv, kOurs);
  CHECK_FALSE(is_packed(record));
  CHECK_FALSE(is_compact(record));  // not a claim's
  CHECK(is_compact_volume(record));
  CHECK(volume_record_class(record) == "gp3");
  // What the controller reads of it (provisioned_by, the class, the claim, the phase), and
  // nothing else.
  const json expected = {
      {"metadata",
       {{"name", "pvc-5911505b-6d3e-4a5c-9a0e-1f2b3c4d5e6f"},
        {"uid", "aa11505b-6d3e-4a5c-9a0e-1f2b3c4d5e6f"},
        {"resourceVersion", "812"},
        {"annotations", {{"pv.kubernetes.io/provisioned-by", "ebs.csi.aws.com"}}}}},
      {"spec",
       {{"storageClassName", "gp3"},
        {"claimRef",
         {{"namespace", "db"},
          {"name", "data-postgres-0"},
          {"uid", "5911505b-6d3e-4a5c-9a0e-1f2b3c4d5e6f"}}},
        {"persistentVolumeReclaimPolicy", "Delete"},
        {"capacity", {{"storage", "8Gi"}}}}},
      {"status", {{"phase", "Bound"}}},
      {"compact", true}};
  CHECK(load_record(record) == expected);
  CHECK(expand_volume(record) == expected);
  // The name told by the claim's uid, both uids as 16 bytes: a tenth of its text.
  CHECK(record.size() < 110);
  CHECK(record.size() * 10 < pv.dump().size());

  SECTION("a static volume without the annotation, a name of its own, being deleted") {
    json bare = csi_volume();
    bare["metadata"]["name"] = "backup-disk";
    bare["metadata"].erase("annotations");
    bare["metadata"]["deletionTimestamp"] = "2026-12-02T08:00:00Z";
    bare["spec"].erase("claimRef");
    bare["status"]["phase"] = "Available";
    const json back = load_record(volume_record(bare, kOurs));
    CHECK(back["metadata"]["name"] == "backup-disk");
    CHECK(back["metadata"]["deletionTimestamp"] == "2026-12-02T08:00:00Z");
    CHECK_FALSE(back["metadata"].contains("annotations"));  // none is not an empty one
    CHECK_FALSE(back["spec"].contains("claimRef"));
    CHECK(back["status"]["phase"] == "Available");
  }
  SECTION("an empty provisioned-by annotation stays one; uids that are not uuids stay text") {
    json odd = csi_volume();
    odd["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] = "";
    odd["metadata"]["uid"] = "not-a-uuid";
    odd["spec"]["claimRef"]["uid"] = "0b2c";
    const json back = load_record(volume_record(odd, kOurs));
    CHECK(back["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "");
    CHECK(back["metadata"]["uid"] == "not-a-uuid");
    CHECK(back["spec"]["claimRef"]["uid"] == "0b2c");
    CHECK(back["metadata"]["name"] == "pvc-5911505b-6d3e-4a5c-9a0e-1f2b3c4d5e6f");
  }
}

TEST_CASE("cache records: volumes of ours and NFS volumes stay whole", "[cache]") {
  json ours = csi_volume();
  ours["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] = kOurs;
  CHECK(is_packed(volume_record(ours, kOurs)));
  CHECK_FALSE(is_compact_volume(volume_record(ours, kOurs)));
  // Anyone's NFS volume: the directory index and the audit read its server and path.
  json nfs = csi_volume();
  nfs["spec"].erase("csi");
  nfs["spec"]["nfs"] = {{"server", "nas"}, {"path", "/export/backup"}};
  const std::string record = volume_record(nfs, kOurs);
  REQUIRE(is_packed(record));
  CHECK(load_record(record)["spec"]["nfs"]["path"] == "/export/backup");
  // A value too long for a field keeps the volume packed whole.
  json long_class = csi_volume();
  long_class["spec"]["storageClassName"] = std::string(40000, 'c');
  CHECK(is_packed(volume_record(long_class, kOurs)));
}

TEST_CASE("cache records: bytes that are not a compact volume record are refused", "[cache]") {
  const std::string record = volume_record(csi_volume(), kOurs);
  CHECK_THROWS_AS(expand_volume(record + "x"), json::exception);  // trailing bytes
  CHECK_THROWS_AS(expand_volume(record.substr(0, record.size() - 1)), json::exception);  // cut
  std::string unknown_flag = record;
  unknown_flag[1] = static_cast<char>(0x40);
  CHECK_THROWS_AS(expand_volume(unknown_flag), json::exception);
  CHECK_THROWS_AS(expand_volume("a plain string"), json::exception);
  CHECK_THROWS_AS(
      expand_volume(claim_record(applied_claim("gp3", "ebs.csi.aws.com"), kOurs, classes("gp3"))),
      json::exception);  // a compact claim's
}

#include "provisioner/core/packed_object.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "provisioner/core/uuid_bytes.h"

namespace nfsprov::core {
namespace {

using nlohmann::json;

// The words claims and volumes repeat, keys and values alike. Records live only in this
// process's memory, so the list may change from one version to the next; it holds at most
// kMaxCodes words.
constexpr auto kWords = std::to_array<std::string_view>({
    // Object structure.
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "spec",
    "status",
    "type",
    "message",
    "reason",
    "controller",
    "blockOwnerDeletion",
    // Claims and volumes.
    "accessModes",
    "resources",
    "requests",
    "limits",
    "storage",
    "storageClassName",
    "volumeMode",
    "volumeName",
    "selector",
    "dataSource",
    "dataSourceRef",
    "apiGroup",
    "capacity",
    "phase",
    "conditions",
    "allocatedResources",
    "allocatedResourceStatuses",
    "lastProbeTime",
    "lastTransitionTime",
    "lastPhaseTransitionTime",
    "claimRef",
    "nfs",
    "server",
    "path",
    "readOnly",
    "mountOptions",
    "persistentVolumeReclaimPolicy",
    "nodeAffinity",
    "fieldPath",
    // Classes.
    "provisioner",
    "parameters",
    "reclaimPolicy",
    "volumeBindingMode",
    "allowVolumeExpansion",
    // Annotations, labels and finalizers Kubernetes and we write.
    "pv.kubernetes.io/bind-completed",
    "pv.kubernetes.io/bound-by-controller",
    "pv.kubernetes.io/provisioned-by",
    "volume.kubernetes.io/storage-provisioner",
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.beta.kubernetes.io/storage-class",
    "volume.kubernetes.io/selected-node",
    "kubernetes.io/pvc-protection",
    "kubernetes.io/pv-protection",
    "external-provisioner.volume.kubernetes.io/finalizer",
    "nfs-provisioner.io/share",
    "nfs-provisioner.io/nfs-port",
    "nfs-provisioner.io/mount-port",
    "nfs-provisioner.io/cloned-from",
    "nfs-provisioner.io/reclaimed",
    "nfs.io/createMode",
    "nfs.io/createUID",
    "nfs.io/createGID",
    "app",
    // The provisioner names of our manifests and chart and of nfs-subdir's chart: each claim of
    // ours carries one twice, each of its volumes once.
    "k8s-sigs.io/nfs-subdir-external-provisioner",
    "cluster.local/nfs-subdir-external-provisioner",
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by",
    // Values.
    "v1",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadOnlyMany",
    "ReadWriteOncePod",
    "Filesystem",
    "Block",
    "Bound",
    "Pending",
    "Available",
    "Released",
    "Failed",
    "Lost",
    "Delete",
    "Retain",
    "Recycle",
    "yes",
    "true",
    "false",
    "Immediate",
    "WaitForFirstConsumer",
    "Resizing",
    "FileSystemResizePending",
    "ControllerResizeInProgress",
    "NodeResizePending",
    "1Gi",
    "nfsvers=4.1",
    "nfsvers=3",
    "hard",
    "nolock",
    "default",
});

constexpr unsigned kFirstCode = 0x80;
constexpr unsigned kEscape = 0xFF;
constexpr std::size_t kMaxCodes = kEscape - kFirstCode;  // 0x80..0xFE
static_assert(kWords.size() <= kMaxCodes, "one byte per code");

// A one-byte string of the code's value, 0x80..0xFE.
std::string code_string(std::size_t index) {
  return std::string(1, static_cast<char>(kFirstCode + index));
}

class Dictionary {
 public:
  Dictionary() {
    for (std::size_t i = 0; i < kWords.size(); ++i) codes_.emplace(kWords[i], code_string(i));
  }
  // What a string of the object is written as: its code, itself, or itself escaped.
  std::string encode(const std::string& word) const {
    if (auto it = codes_.find(word); it != codes_.end()) return it->second;
    if (needs_escape(word)) return std::string(1, static_cast<char>(kEscape)) + word;
    return word;
  }
  static std::string decode(const std::string& written) {
    if (!written.empty() && static_cast<unsigned char>(written[0]) == kEscape)
      return written.substr(1);
    if (written.size() == 1) {
      const unsigned byte = static_cast<unsigned char>(written[0]);
      if (byte >= kFirstCode && byte - kFirstCode < kWords.size())
        return std::string(kWords[byte - kFirstCode]);
    }
    return written;
  }

 private:
  // A string that would read back as a code, or as an escaped string.
  static bool needs_escape(const std::string& word) {
    if (word.empty()) return false;
    const unsigned first = static_cast<unsigned char>(word[0]);
    return first == kEscape || (word.size() == 1 && first >= kFirstCode);
  }
  std::map<std::string, std::string, std::less<>> codes_;
};

const Dictionary& dictionary() {
  static const Dictionary instance;  // immutable once made
  return instance;
}

// Uids, and the PV names made of them ("pvc-<uid>"), are most of what is left of a claim or a
// volume once the words are codes: a canonical lowercase UUID string is written as MessagePack
// binary, its 16 bytes after a byte saying whether "pvc-" came before it. No JSON value is
// binary, so nothing else reads back as one.
constexpr std::string_view kVolumePrefix = "pvc-";
constexpr std::uint8_t kBareUuid = 0;
constexpr std::uint8_t kVolumeUuid = 1;

// A string as it is packed: a uid as binary, anything else through the dictionary.
json packed_string(const std::string& text, const Dictionary& words) {
  const bool volume = text.starts_with(kVolumePrefix);
  const std::string_view uuid =
      volume ? std::string_view(text).substr(kVolumePrefix.size()) : std::string_view(text);
  if (const auto bytes = uuid_bytes(uuid)) {
    std::vector<std::uint8_t> binary;
    binary.reserve(1 + bytes->size());
    binary.push_back(volume ? kVolumeUuid : kBareUuid);
    binary.insert(binary.end(), bytes->begin(), bytes->end());
    return json::binary(std::move(binary));
  }
  return words.encode(text);
}

// The string a binary value stands for.
std::string unpacked_uuid(const json::binary_t& bytes) {
  if (bytes.size() != 17 || bytes[0] > kVolumeUuid)
    throw json::other_error::create(501, "not a packed uid", nullptr);
  const std::string uuid = uuid_text(std::span<const std::uint8_t, 16>(bytes.data() + 1, 16));
  return bytes[0] == kVolumeUuid ? std::string(kVolumePrefix) + uuid : uuid;
}

// The object with every key written by key_of and every string value by value_of.
template <typename KeyOf, typename ValueOf>
json rewritten(const json& value, const KeyOf& key_of, const ValueOf& value_of) {
  switch (value.type()) {
    case json::value_t::object: {
      json out = json::object();
      for (const auto& [key, item] : value.items())
        out[key_of(key)] = rewritten(item, key_of, value_of);
      return out;
    }
    case json::value_t::array: {
      json out = json::array();
      out.get_ref<json::array_t&>().reserve(value.size());
      for (const auto& item : value) out.push_back(rewritten(item, key_of, value_of));
      return out;
    }
    case json::value_t::string:
    case json::value_t::binary:
      return value_of(value);
    default:
      return value;
  }
}

}  // namespace

std::string pack_object(const json& object) {
  const Dictionary& words = dictionary();
  std::vector<std::uint8_t> bytes = json::to_msgpack(rewritten(
      object, [&](const std::string& key) { return words.encode(key); },
      [&](const json& value) {
        // A binary value is no JSON, and an object made of one could not come back.
        if (value.is_binary()) throw json::other_error::create(501, "binary value", nullptr);
        return packed_string(value.get_ref<const std::string&>(), words);
      }));
  std::string packed;
  packed.reserve(bytes.size() + 1);
  packed += kPackedTag;
  packed.append(bytes.begin(), bytes.end());
  return packed;
}

bool is_packed(std::string_view record) {
  return record.size() > 1 && record[0] == kPackedTag;
}

json unpack_object(std::string_view packed) {
  if (packed.empty() || packed[0] != kPackedTag)
    throw json::other_error::create(501, "not a packed object", nullptr);
  packed.remove_prefix(1);
  return rewritten(json::from_msgpack(packed.begin(), packed.end()), Dictionary::decode,
                   [](const json& value) -> json {
                     if (value.is_binary()) return unpacked_uuid(value.get_binary());
                     return Dictionary::decode(value.get_ref<const std::string&>());
                   });
}

}  // namespace nfsprov::core

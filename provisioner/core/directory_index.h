// DirectoryIndex: which directory on which NFS server each PersistentVolume uses, so that no
// two volumes ever overlap. A new volume's directory may not equal or contain the directory of
// any other PV on the same server, nor lie inside the directory of another PV of ours (one
// pathPattern with an annotation would otherwise let a tenant name a victim's directory, or
// the namespace directory above all of its volumes). A static PV of the whole export (for a
// backup pod, say) may hold our volumes. A deletion never removes a directory that another PV
// uses or contains.
//
// Fed from the PV informer (every PV with an nfs source, ours or not: a static PV's data is
// data too) and by reservations a worker takes before its mkdir, so two claims in one burst
// cannot both win the same directory before either PV exists. Pure and thread-safe; each
// question costs O(depth x log n).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace nfsprov::core {

struct DirectoryUser {
  std::string pv_name;
  std::string path;  // the other volume's directory, as the server names it
};

class DirectoryIndex {
 public:
  // ours: tells a PV of ours (our provisioned-by annotation) from one that is not.
  explicit DirectoryIndex(std::string provisioner_name);

  // A PV as the informer saw it (add or update); PVs without spec.nfs are ignored.
  void volume_seen(const nlohmann::json& pv);
  // The PV is gone: its directory (and any reservation by that name) is free again.
  void volume_gone(const std::string& pv_name);

  // For a new volume of ours: takes server:path for pv_name unless it would overlap another
  // volume (see above); then that one is returned and nothing is taken. Taking the same path
  // again for the same pv_name (a retry) succeeds.
  std::optional<DirectoryUser> reserve(const std::string& server, const std::string& path,
                                       const std::string& pv_name);
  // Drops pv_name's reservation when no PV of that name was seen (a claim deleted before its
  // volume was made).
  void release(const std::string& pv_name);

  // Before deleting or archiving pv_name's directory: another PV whose directory equals it or
  // lies inside it.
  std::optional<DirectoryUser> in_use_below(const std::string& server, const std::string& path,
                                            const std::string& pv_name) const;

  // "/a//b/" -> "/a/b": how paths are compared.
  static std::string normalized(std::string_view path);

 private:
  struct Use {
    std::string key;    // server + '\0' + normalized path
    bool ours = true;   // a reservation, or a PV with our provisioned-by annotation
    bool seen = false;  // from a PV, not only a reservation
  };
  // Another user of key itself or of a directory below it; with above, also of one above it
  // that is ours.
  std::optional<DirectoryUser> overlap_locked(const std::string& key, const std::string& pv_name,
                                              bool above) const;
  void take_locked(const std::string& pv_name, Use use);
  void forget_locked(const std::string& pv_name);

  std::string provisioner_name_;
  mutable std::mutex mutex_;
  // pv name -> its directory.
  std::map<std::string, Use, std::less<>> uses_;
  // Use::key -> the pv names using it: views of what uses_ holds, each entry erased before
  // its uses_ entry (a volume costs its strings once).
  std::multimap<std::string_view, std::string_view> users_;
};

}  // namespace nfsprov::core

// Cloning a claim on the real control plane: a claim with a PersistentVolumeClaim dataSource
// gets a volume holding a copy of its source's directory, bound only once the copy is complete,
// on the same or another NFS server; what cannot be cloned is refused in Events a user sees.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "test/e2e/e2e_env.h"

using namespace nfsprov::e2e;
namespace fs = std::filesystem;

namespace {

constexpr const char* kNs = "clone";

json clone_of(const std::string& source) {
  return {{"spec", {{"dataSource", {{"kind", "PersistentVolumeClaim"}, {"name", source}}}}}};
}

// The claim's directory on the export it was provisioned on (the share is /export).
fs::path directory_of(E2eEnv& env, const json& claim, std::size_t server = 0) {
  const auto pv = env.find_pv(str_at(claim, "/spec/volumeName"));
  REQUIRE(pv);
  return env.export_dir(server) /
         str_at(*pv, "/spec/nfs/path").substr(std::string("/export/").size());
}

// Relative path -> type, mode, owner and content (or link target) of everything below dir.
std::map<std::string, std::string> tree_of(const fs::path& dir) {
  std::map<std::string, std::string> tree;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    struct stat st {};
    REQUIRE(::lstat(it->path().c_str(), &st) == 0);
    std::string line = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid);
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(it->path(), std::ios::binary);
      line += " " + std::string(std::istreambuf_iterator<char>(in), {});
    }
    if (S_ISLNK(st.st_mode)) line += " -> " + fs::read_symlink(it->path()).string();
    tree[fs::relative(it->path(), dir).string()] = line;
  }
  return tree;
}

// What a pod wrote into its volume.
void fill(const fs::path& dir, std::size_t big_bytes) {
  fs::create_directories(dir / "html/img");
  std::ofstream(dir / "html/index.html") << "<h1>from the source</h1>";
  std::ofstream(dir / "html/img/logo.svg") << "<svg/>";
  fs::create_symlink("index.html", dir / "html/home.html");
  fs::create_symlink("/etc/shadow", dir / "html/evil");  // copied as a link, never read
  REQUIRE(::chown((dir / "html").c_str(), 101, 101) == 0);
  std::string big(big_bytes, '\0');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  std::ofstream(dir / "data.bin", std::ios::binary) << big;
}

std::string messages(E2eEnv& env, const std::string& claim, const std::string& reason) {
  std::string text;
  for (const auto& e : env.events_for(kNs, claim))
    if (e.value("reason", "") == reason) text += e.value("message", "") + "\n";
  return text;
}

}  // namespace

TEST_CASE("clone: a copy of the source, bound once complete, on the same or another server") {
  E2eEnv env(2);
  env.create_class("nfs", {{"archiveOnDelete", "false"}});
  env.create_class("other-server", {{"server", "127.0.0.1"},
                                    {"share", "/export"},
                                    {"nfsPort", std::to_string(env.nfs(1).nfs_port())},
                                    {"mountPort", std::to_string(env.nfs(1).mount_port())},
                                    {"archiveOnDelete", "false"}});
  env.options().clone_progress_interval = 1ms;  // every chunk says how far it got
  env.start_controller();
  env.create_claim(kNs, "src", "nfs");
  const fs::path source = directory_of(env, env.wait_bound(kNs, "src"));
  fill(source, 8 << 20);

  env.create_claim(kNs, "copy", "nfs", clone_of("src"));
  env.create_claim(kNs, "far", "other-server", clone_of("src"));
  const json copy = env.wait_bound(kNs, "copy", 60s);
  const json far = env.wait_bound(kNs, "far", 60s);
  const fs::path copy_dir = directory_of(env, copy);
  const fs::path far_dir = directory_of(env, far, 1);
  CHECK(copy_dir.filename().string() == "clone-copy-pvc-" + str_at(copy, "/metadata/uid"));
  CHECK(tree_of(copy_dir) == tree_of(source));
  CHECK(tree_of(far_dir) == tree_of(source));
  CHECK(fs::read_symlink(copy_dir / "html/evil") == "/etc/shadow");

  // What the user sees: the PV says where its data came from, the Events how it went.
  const auto pv = env.find_pv(str_at(copy, "/spec/volumeName"));
  CHECK(str_at(*pv, "/metadata/annotations/nfs-provisioner.io~1cloned-from") == "clone/src");
  CHECK(messages(env, "copy", "Cloning")
            .find("copying the data of claim clone/src (volume " +
                  str_at(env.get_claim(kNs, "src"), "/spec/volumeName") + ")") !=
        std::string::npos);
  CHECK(messages(env, "copy", "Cloning").find(" so far") != std::string::npos);
  CHECK(messages(env, "copy", "ProvisioningSucceeded")
            .find(", cloned from claim clone/src: 3 files (8.0 MiB), 2 directories, 2 symlinks") !=
        std::string::npos);
  std::string out;
  REQUIRE(env.cluster().kubectl("get pvc copy -n clone -o jsonpath={.spec.dataSource.name}/"
                                "{.status.phase}",
                                &out) == 0);
  CHECK(out == "src/Bound");
  // The source is untouched and still in use.
  CHECK(str_at(env.get_claim(kNs, "src"), "/status/phase") == "Bound");
}

TEST_CASE("clone: what cannot be cloned is refused, a source not yet there is waited for") {
  E2eEnv env;
  env.create_class("nfs", {{"archiveOnDelete", "false"}});
  env.start_controller();
  env.create_claim(kNs, "src", "nfs",
                   {{"spec", {{"resources", {{"requests", {{"storage", "2Gi"}}}}}}}});
  env.wait_bound(kNs, "src");

  json smaller = clone_of("src");
  env.create_claim(kNs, "smaller", "nfs", smaller);  // 1Gi from 2Gi
  json snapshot = {{"spec",
                    {{"dataSource",
                      {{"apiGroup", "snapshot.storage.k8s.io"},
                       {"kind", "VolumeSnapshot"},
                       {"name", "snap"}}}}}};
  env.create_claim(kNs, "from-snapshot", "nfs", snapshot);
  env.create_claim(kNs, "early", "nfs", clone_of("later"));
  CHECK(wait_until([&] {
    return !messages(env, "smaller", "ProvisioningFailed").empty() &&
           !messages(env, "from-snapshot", "ProvisioningFailed").empty() &&
           !messages(env, "early", "ProvisioningFailed").empty();
  }));
  CHECK(messages(env, "smaller", "ProvisioningFailed") ==
        "claim requests less storage than its source claim clone/src (2Gi): a clone must "
        "request at least as much as its source\n");
  CHECK(messages(env, "from-snapshot", "ProvisioningFailed")
            .starts_with("claim dataSource snapshot.storage.k8s.io/VolumeSnapshot \"snap\": "
                         "only a PersistentVolumeClaim"));
  CHECK(messages(env, "early", "ProvisioningFailed") ==
        "source claim clone/later does not exist; the clone waits for it\n");
  for (const char* name : {"smaller", "from-snapshot", "early"})
    CHECK(str_at(env.get_claim(kNs, name), "/status/phase") == "Pending");

  // The source appears: the waiting clone is retried (with back-off) and bound.
  env.create_claim(kNs, "later", "nfs");
  env.wait_bound(kNs, "early", 60s);
  // Counted after the PV's create returns and its record is removed: kube-controller-manager
  // may bind the claim before that.
  CHECK(wait_until([&] { return env.counts().provisioned >= 3; }, 10s));
  // Nothing was made for the refused ones.
  CHECK(entries(env.export_dir()).size() == 3);
}

TEST_CASE("clone: a copy cut short by a restart is never bound half done, and is resumed") {
  E2eEnv env;
  env.create_class("nfs", {{"archiveOnDelete", "false"}});
  env.start_controller();
  env.create_claim(kNs, "src", "nfs");
  const fs::path source = directory_of(env, env.wait_bound(kNs, "src"));
  fill(source, 512 << 20);  // long enough to stop in the middle

  env.create_claim(kNs, "copy", "nfs", clone_of("src"));
  const std::string uid = str_at(env.get_claim(kNs, "copy"), "/metadata/uid");
  const fs::path target = env.export_dir() / ("clone-copy-pvc-" + uid);
  // The copy has begun on data.bin (sorted first): the leader stops (a rollout, say).
  REQUIRE(wait_until(
      [&] {
        std::error_code ec;
        return fs::file_size(target / "data.bin", ec) > 0 && !ec;
      },
      30s));
  env.stop_controller();
  const auto cut_at = fs::file_size(target / "data.bin");
  INFO("stopped with " << cut_at << " bytes of data.bin copied");
  CHECK(cut_at < fs::file_size(source / "data.bin"));
  CHECK_FALSE(env.find_pv("pvc-" + uid));
  CHECK(str_at(env.get_claim(kNs, "copy"), "/status/phase") == "Pending");

  env.start_controller();
  const json copy = env.wait_bound(kNs, "copy", 120s);
  CHECK(tree_of(target) == tree_of(source));
  CHECK(records_left(env.export_dir()).empty());
}

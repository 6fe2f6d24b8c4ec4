#include "provisioner/ops/export_check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <utility>

#include "nfs/export_client.h"
#include "nfs/nfs_error.h"
#include "provisioner/base/text.h"

namespace nfsprov::ops {

namespace {

// The options most home and Raspberry Pi servers need, quoted in several fixes.
constexpr std::string_view recommended_exports = "rw,sync,no_subtree_check,no_root_squash";

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

// A TCP connect to host:port within timeout; "" on success, else why not.
std::string tcp_reachable(const std::string& host, int port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &raw);
  if (rc != 0) return std::string("cannot resolve ") + host + ": " + gai_strerror(rc);
  std::unique_ptr<addrinfo, AddrInfoDeleter> infos(raw);
  std::string why = "no address";
  for (addrinfo* info = infos.get(); info != nullptr; info = info->ai_next) {
    Socket sock(::socket(info->ai_family, info->ai_socktype | SOCK_NONBLOCK, info->ai_protocol));
    if (sock.get() < 0) {
      why = std::strerror(errno);
      continue;
    }
    if (::connect(sock.get(), info->ai_addr, info->ai_addrlen) == 0) return "";
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
      continue;
    }
    pollfd pfd{sock.get(), POLLOUT, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) {
      why = "no answer within " + std::to_string(timeout.count()) + " ms";
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) return "";
    why = std::strerror(err);
  }
  return why;
}

// libnfs tries to bind a source port below 1024 and silently falls back to a high one when
// it may not (no root, no CAP_NET_BIND_SERVICE). Servers exporting with `secure` (the Linux
// default) refuse high ports, so knowing which case we are in explains a refused mount.
bool can_bind_privileged_port() {
  std::mt19937 random{std::random_device{}()};
  for (int attempt = 0; attempt < 8; ++attempt) {
    Socket sock(::socket(AF_INET, SOCK_STREAM, 0));
    if (sock.get() < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(static_cast<std::uint16_t>(600 + random() % 424));
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
    if (errno == EACCES || errno == EPERM) return false;
  }
  return true;  // only "in use" answers: binding itself is allowed
}

std::string probe_name() {
  return ".nfs-provisioner-check-" + base::random_hex(8);
}

std::string gib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1ULL << 30));
  return text;
}

std::string octal(std::uint32_t mode) {
  char text[16];
  std::snprintf(text, sizeof text, "%04o", mode);
  return text;
}

std::uint32_t presented_uid(const nfs::ExportAddress& address) {
  return address.uid.value_or(static_cast<std::uint32_t>(::geteuid()));
}

bool refused(int err) {
  return err == EACCES || err == EPERM;
}

class Checker {
 public:
  Checker(const nfs::ExportAddress& address, const ExportCheckOptions& options)
      : address_(address), options_(options) {
    result_.address = address;
  }
  // Only reached with the probe still there when something other than NfsError escaped.
  ~Checker() {
    try {
      if (client_ && !probe_.empty()) client_->remove_tree(probe_);
    } catch (...) {
    }
  }
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  ExportCheckResult run() {
    check_portmapper();
    if (!mount()) return std::move(result_);
    if (check_nfsv3()) {
      check_space();
      if (check_write()) {
        check_root_squash();
        check_round_trip();
      }
      clean_up();
    }
    return std::move(result_);
  }

 private:
  void add(Verdict verdict, std::string name, std::string detail, std::string fix = {},
           Finding finding = Finding::none) {
    result_.lines.push_back(
        CheckLine{verdict, std::move(name), std::move(detail), std::move(fix), finding});
  }

  void check_portmapper() {
    if (address_.nfs_port > 0 && address_.mount_port > 0) {
      add(Verdict::pass, "portmapper", "not needed: NFS and mount ports are given");
      return;
    }
    const auto timeout = std::min(address_.timeout, std::chrono::milliseconds(3000));
    const auto why = tcp_reachable(address_.server, 111, timeout);
    if (why.empty()) {
      add(Verdict::pass, "portmapper", "answers on " + address_.server + ":111");
    } else {
      add(Verdict::fail, "portmapper", address_.server + ":111: " + why,
          "without explicit ports libnfs asks the server's portmapper for the NFS and mount "
          "ports: start rpcbind on the server (systemctl enable --now rpcbind) and allow TCP "
          "111 through its firewall, or give the ports explicitly",
          Finding::portmapper_unreachable);
    }
  }

  bool mount() {
    try {
      client_.emplace(address_);
      add(Verdict::pass, "mount", "mounted " + address_.display() + " (MOUNT v3)");
      return true;
    } catch (const nfs::NfsError& e) {
      const int err = e.error_number();
      if (refused(err) && !can_bind_privileged_port()) {
        add(Verdict::fail, "mount", std::string("refused: ") + e.what(),
            "this process cannot use a source port below 1024, which servers exporting with "
            "`secure` (the Linux default) require: add `insecure` to the export, e.g. " +
                address_.export_path + " <clients>(" + std::string(recommended_exports) +
                ",insecure), then `exportfs -ra`; also check the client list allows this node",
            Finding::privileged_port_required);
      } else if (refused(err) || err == ENOENT || err == ENOTDIR) {
        add(Verdict::fail, "mount", std::string("refused: ") + e.what(),
            "check that the server exports " + address_.export_path +
                " (`exportfs -v` / `showmount -e " + address_.server +
                "`) and that its client list includes this node, e.g. " + address_.export_path +
                " 10.0.0.0/24(" + std::string(recommended_exports) + "), then `exportfs -ra`",
            Finding::mount_refused);
      } else {
        add(Verdict::fail, "mount", std::string("no usable answer: ") + e.what(),
            "check the NFS server is running and reachable from this node (TCP 2049 and the "
            "mount port, or 111 for the portmapper) and that --nfs-server names it",
            Finding::unreachable);
      }
      return false;
    }
  }

  bool check_nfsv3() {
    try {
      const auto root = client_->stat("");
      if (!root) throw nfs::NfsError("lstat", "", address_.display(), ENOENT);
      root_ = *root;
      add(Verdict::pass, "nfsv3",
          "export root answers: mode " + octal(root->mode) + ", owner " +
              std::to_string(root->uid) + ":" + std::to_string(root->gid));
      return true;
    } catch (const nfs::NfsError& e) {
      add(Verdict::fail, "nfsv3", e.what(),
          "the server must serve NFSv3 over TCP (nfs-kernel-server does by default; "
          "ganesha: Protocols = 3, 4)",
          e.retryable() ? Finding::unreachable : Finding::mount_refused);
      return false;
    }
  }

  void check_space() {
    try {
      const auto usage = client_->usage();
      const std::string detail =
          gib(usage.available_bytes) + " available of " + gib(usage.total_bytes);
      if (usage.available_bytes < options_.low_space_bytes) {
        add(Verdict::warn, "free space", detail,
            "free space on the exported file system or move the export to a larger disk",
            Finding::low_space);
      } else {
        add(Verdict::pass, "free space", detail);
      }
    } catch (const nfs::NfsError& e) {
      add(Verdict::warn, "free space", std::string("cannot tell: ") + e.what(), {},
          Finding::low_space);
    }
  }

  bool check_write() {
    probe_ = probe_name();
    try {
      client_->create_directory(probe_, nfs::CreateOptions{.mode = 0700});
      add(Verdict::pass, "write", "created " + probe_ + " in the export root");
      return true;
    } catch (const nfs::NfsError& e) {
      const int err = e.error_number();
      if (err == EROFS) {
        add(Verdict::fail, "write", std::string("the export is read-only: ") + e.what(),
            "export it read-write: `rw` in /etc/exports (" + std::string(recommended_exports) +
                "), Access_Type = RW for nfs-ganesha",
            Finding::read_only);
      } else if (refused(err)) {
        add(Verdict::fail, "write",
            "cannot create a directory in the export root (mode " + octal(root_.mode) + ", owner " +
                std::to_string(root_.uid) + ":" + std::to_string(root_.gid) + "): " + e.what(),
            "let the identity the server sees write there: `no_root_squash` (" +
                std::string(recommended_exports) +
                "), or chown/chmod the exported directory on the server, or map every client "
                "to its owner with `rw,sync,no_subtree_check,all_squash,anonuid=" +
                std::to_string(root_.uid) + ",anongid=" + std::to_string(root_.gid) + "`",
            Finding::no_write_permission);
      } else {
        add(Verdict::fail, "write", e.what(), "see the error above",
            e.retryable() ? Finding::unreachable : Finding::no_write_permission);
      }
      probe_.clear();
      return false;
    }
  }

  void check_root_squash() {
    const std::uint32_t uid = presented_uid(address_);
    if (uid != 0) {
      add(Verdict::pass, "root squash",
          "not applicable: the provisioner presents uid " + std::to_string(uid) +
              ", volumes belong to it unless a class sets no owner");
      return;
    }
    try {
      client_->create_directory(
          probe_,
          nfs::CreateOptions{.mode = 0700, .uid = options_.probe_uid, .gid = options_.probe_gid});
      add(Verdict::pass, "root squash",
          "root is not squashed: chown of the probe to " + std::to_string(options_.probe_uid) +
              ":" + std::to_string(options_.probe_gid) + " worked");
    } catch (const nfs::NfsError& e) {
      if (!refused(e.error_number())) {
        add(Verdict::fail, "root squash", e.what(), "see the error above",
            e.retryable() ? Finding::unreachable : Finding::no_write_permission);
        return;
      }
      std::string mapped;
      try {
        if (const auto st = client_->stat(probe_)) {
          mapped = "; new directories belong to uid " + std::to_string(st->uid);
        }
      } catch (const nfs::NfsError&) {
      }
      add(Verdict::warn, "root squash",
          "root is squashed: chown refused (" + std::string(e.what()) + ")" + mapped,
          "volumes still work (created 0777, owned by the anonymous user) but a class's uid/gid "
          "cannot be applied; add `no_root_squash` (" +
              std::string(recommended_exports) +
              "), or give every volume one owner with "
              "`rw,sync,no_subtree_check,all_squash,anonuid=1000,anongid=1000`",
          Finding::root_squashed);
    }
  }

  void check_round_trip() {
    const std::string volume = probe_ + "/default-check-pvc-probe";
    const std::string archived = probe_ + "/archived-default-check-pvc-probe";
    try {
      client_->create_directory(volume, nfs::CreateOptions{.mode = 0777});
      client_->rename(volume, archived);
      if (!client_->exists(archived) || client_->exists(volume)) {
        throw nfs::NfsError("rename", volume, address_.display(), EIO,
                            "the archived name is not where rename put it");
      }
      client_->remove_tree(archived);
      if (client_->exists(archived)) {
        throw nfs::NfsError("remove", archived, address_.display(), EIO, "still there");
      }
      add(Verdict::pass, "round trip", "create, archive (rename) and delete of a volume worked");
    } catch (const nfs::NfsError& e) {
      add(Verdict::fail, "round trip", e.what(), "see the error above; check the export's options",
          Finding::round_trip_failed);
    }
  }

  void clean_up() {
    if (probe_.empty()) return;
    try {
      client_->remove_tree(probe_);
    } catch (const nfs::NfsError& e) {
      add(Verdict::fail, "clean up", e.what(),
          "remove " + address_.export_path + "/" + probe_ + " on the server by hand",
          Finding::round_trip_failed);
    }
    probe_.clear();
  }

  const nfs::ExportAddress& address_;
  const ExportCheckOptions& options_;
  ExportCheckResult result_;
  std::optional<nfs::ExportClient> client_;
  nfs::FileInfo root_;
  std::string probe_;  // the probe directory while it may exist
};

}  // namespace

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass:
      return "PASS";
    case Verdict::warn:
      return "WARN";
    case Verdict::fail:
      return "FAIL";
  }
  return "FAIL";
}

bool ExportCheckResult::ok() const {
  return !lines.empty() && std::all_of(lines.begin(), lines.end(), [](const CheckLine& l) {
    return l.verdict == Verdict::pass;
  });
}

bool ExportCheckResult::usable() const {
  return !lines.empty() && std::none_of(lines.begin(), lines.end(), [](const CheckLine& l) {
    return l.verdict == Verdict::fail;
  });
}

Finding ExportCheckResult::first_problem() const {
  for (const auto wanted : {Verdict::fail, Verdict::warn}) {
    for (const auto& line : lines) {
      if (line.verdict == wanted) return line.finding;
    }
  }
  return Finding::none;
}

ExportCheckResult check_export(const nfs::ExportAddress& address,
                               const ExportCheckOptions& options) {
  return Checker(address, options).run();
}

std::string format_check_line(const CheckLine& line) {
  std::string out =
      std::string(verdict_name(line.verdict)) + " " + line.name + ": " + line.detail + "\n";
  if (line.verdict != Verdict::pass && !line.fix.empty()) out += "     fix: " + line.fix + "\n";
  return out;
}

std::string format_check(const ExportCheckResult& result) {
  std::string out =
      "Checking NFS export " + result.address.display() + " (" + result.address.url() + ")\n";
  int failed = 0;
  int warned = 0;
  for (const auto& line : result.lines) {
    failed += line.verdict == Verdict::fail;
    warned += line.verdict == Verdict::warn;
    out += format_check_line(line);
  }
  if (result.ok()) {
    out += "Result: PASS, the provisioner can use this export\n";
  } else if (result.usable()) {
    out += "Result: WARN (" + std::to_string(warned) +
           " warning(s)), the provisioner can use this export with the limits above\n";
  } else {
    out += "Result: FAIL (" + std::to_string(failed) + " failed, " + std::to_string(warned) +
           " warning(s)), the provisioner cannot use this export\n";
  }
  return out;
}

StartupDiagnosis summarize(const ExportCheckResult& result) {
  const std::string name = "NFS export " + result.address.display();
  const Finding finding = result.first_problem();
  if (finding == Finding::none && result.ok()) {
    std::string space;
    for (const auto& line : result.lines) {
      if (line.name == "free space") space = " (" + line.detail + ")";
    }
    return {Finding::none, name + " ok" + space};
  }
  for (const auto wanted : {Verdict::fail, Verdict::warn}) {
    for (const auto& line : result.lines) {
      if (line.verdict != wanted) continue;
      std::string text = name + ": " + std::string(verdict_name(line.verdict)) + " " + line.name +
                         ": " + line.detail;
      if (!line.fix.empty()) text += "; fix: " + line.fix;
      return {line.finding, text};
    }
  }
  return {finding, name + ": not checked"};
}

StartupDiagnosis diagnose_export(const nfs::ExportAddress& address) {
  return summarize(check_export(address));
}

}  // namespace nfsprov::ops

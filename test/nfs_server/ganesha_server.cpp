#include "test/nfs_server/ganesha_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <tuple>

#include "test/support/child_process.h"

namespace nfsprov::testing {
namespace {

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::system_error(errno, std::system_category(), "socket");
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// The kernel picks a free port; two ports are taken at once so they differ. Another process
// could grab one before ganesha binds it: start retries with new ports when that happens.
std::pair<int, int> free_ports() {
  Socket a, b;
  int ports[2];
  const Socket* sockets[2] = {&a, &b};
  for (int i = 0; i < 2; ++i) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(sockets[i]->fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::system_error(errno, std::system_category(), "bind");
    socklen_t len = sizeof addr;
    ::getsockname(sockets[i]->fd(), reinterpret_cast<sockaddr*>(&addr), &len);
    ports[i] = ntohs(addr.sin_port);
  }
  return {ports[0], ports[1]};
}

std::string export_arg(const ExportSpec& spec) {
  switch (spec.mode) {
    case ExportMode::root_squash:
      return spec.name + ",root_squash";
    case ExportMode::read_only:
      return spec.name + ",ro";
    case ExportMode::read_write:
      break;
  }
  return spec.name;
}

}  // namespace

std::filesystem::path GaneshaServer::script() {
  return NP_NFS_SERVER_SCRIPT;
}

GaneshaServer::GaneshaServer(std::vector<ExportSpec> exports) : exports_(std::move(exports)) {
  if (exports_.empty()) exports_.push_back(ExportSpec{});
  std::string last_error;
  for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
    std::tie(nfs_port_, mount_port_) = free_ports();
    try {
      start();
    } catch (const std::exception& e) {
      last_error = e.what();
    }
  }
  if (!running_) throw std::runtime_error("GaneshaServer: could not start: " + last_error);
}

GaneshaServer::~GaneshaServer() {
  try {
    stop();
  } catch (...) {
    // Destructors must not throw; the script already falls back to SIGKILL.
  }
}

void GaneshaServer::run_script(const std::string& args) const {
  const std::string output = (state_dir() / "script.out").string();
  const std::string command =
      shell_quote(script().string()) + " " + args + " >" + shell_quote(output) + " 2>&1";
  const int status = std::system(command.c_str());
  if (status != 0) {
    std::ifstream in(output);
    std::stringstream text;
    text << in.rdbuf();
    throw std::runtime_error("nfs-server.sh " + args + " failed (status " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "):\n" +
                             text.str());
  }
}

void GaneshaServer::start() {
  if (running_) return;
  std::string args = "start " + shell_quote(state_dir().string()) + " " +
                     std::to_string(nfs_port_) + " " + std::to_string(mount_port_);
  for (const auto& spec : exports_) args += " " + shell_quote(export_arg(spec));
  run_script(args);
  running_ = true;
}

namespace {

pid_t ganesha_pid(const std::filesystem::path& state_dir) {
  std::ifstream in(state_dir / "ganesha.pid");
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0) throw std::runtime_error("GaneshaServer: no pid file");
  return pid;
}

// True once every thread of pid is stopped ('T' in /proc/<pid>/task/<tid>/stat). SIGSTOP takes
// effect asynchronously: on a busy machine a thread may still answer a request after kill().
bool all_threads_stopped(pid_t pid) {
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');  // the command name may contain anything
    if (close == std::string::npos || close + 2 >= stat.size()) continue;  // thread just ended
    if (stat[close + 2] != 'T' && stat[close + 2] != 't') return false;
  }
  return !ec;
}

}  // namespace

void GaneshaServer::freeze() {
  if (!running_ || frozen_) return;
  const pid_t pid = ganesha_pid(state_dir());
  if (::kill(pid, SIGSTOP) != 0) throw std::runtime_error("GaneshaServer: SIGSTOP failed");
  frozen_ = true;
  for (int i = 0; i < 2000 && !all_threads_stopped(pid); ++i)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
}

void GaneshaServer::thaw() {
  if (!frozen_) return;
  ::kill(ganesha_pid(state_dir()), SIGCONT);
  frozen_ = false;
}

void GaneshaServer::stop() {
  thaw();  // a stopped process would not act on SIGTERM
  if (!running_) return;
  run_script("stop " + shell_quote(state_dir().string()));
  running_ = false;
}

const ExportSpec& GaneshaServer::find(std::string_view export_name) const {
  for (const auto& spec : exports_)
    if (spec.name == export_name) return spec;
  throw std::invalid_argument("GaneshaServer: no export named " + std::string(export_name));
}

nfs::ExportAddress GaneshaServer::address(std::string_view export_name,
                                          std::chrono::milliseconds timeout) const {
  const ExportSpec& spec = find(export_name);
  nfs::ExportAddress a;
  a.server = "127.0.0.1";
  a.export_path = "/" + spec.name;
  a.nfs_port = nfs_port_;
  a.mount_port = mount_port_;
  a.timeout = timeout;
  a.tcp_syncnt = 1;  // loopback: a refused connection is immediate, a lost SYN is a bug
  return a;
}

std::filesystem::path GaneshaServer::export_dir(std::string_view export_name) const {
  return state_dir() / "exports" / find(export_name).name;
}

}  // namespace nfsprov::testing

#include "test/apiserver/test_apiserver.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <httplib.h>

extern char** environ;

namespace nfsprov::testing {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void write_file(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
  }
  fs::rename(tmp, path);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A spawned child that is always reaped: SIGTERM, then SIGKILL after 2 s.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

struct TestApiServer::Impl {
  Options options;
  fs::path dir;
  int port = 0;
  std::string token;
  std::unique_ptr<ChildProcess> process;

  fs::path path(const char* name) const { return dir / name; }

  void write_kubeconfig() const {
    std::string server = "https://127.0.0.1:" + std::to_string(port);
    write_file(path("kubeconfig"),
               "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: " +
                   server + "\n    certificate-authority: " + path("ca.crt").string() +
                   "\nusers:\n- name: test\n  user:\n    token: " + token +
                   "\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n"
                   "    namespace: default\ncurrent-context: test\n");
  }

  void start() {
    fs::remove(path("port"));
    std::vector<std::string> argv = {
        NP_TEST_APISERVER_BIN,       "--port",       std::to_string(port),           "--port-file",
        path("port").string(),       "--cert",       path("server.crt").string(),    "--key",
        path("server.key").string(), "--token-file", path("token").string(),         "--state-file",
        path("state.json").string(), "--history",    std::to_string(options.history)};
    if (!options.audit_log.empty()) {
      argv.push_back("--audit-log");
      argv.push_back(options.audit_log.string());
    }
    if (!options.controllers) argv.push_back("--no-controllers");
    process = std::make_unique<ChildProcess>(argv, path("apiserver.log"));
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (!fs::exists(path("port"))) {
      if (!process->running() || std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("kube-test-apiserver did not start: " +
                                 read_file(path("apiserver.log")));
      }
      std::this_thread::sleep_for(10ms);
    }
    port = std::stoi(read_file(path("port")));
    write_kubeconfig();
    httplib::SSLClient client("127.0.0.1", port);
    client.set_ca_cert_path(path("ca.crt").c_str());
    client.enable_server_certificate_verification(true);
    client.set_bearer_token_auth(token.c_str());
    while (true) {
      auto res = client.Get("/version");
      if (res && res->status == 200) return;
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("kube-test-apiserver does not answer /version");
      }
      std::this_thread::sleep_for(20ms);
    }
  }
};

TestApiServer::TestApiServer() : TestApiServer(Options{}) {}

TestApiServer::TestApiServer(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  std::string pattern = (fs::temp_directory_path() / "np-apiserver-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  impl_->dir = pattern;
  try {
    std::string cmd = std::string(NP_TEST_APISERVER_CERT_SCRIPT) + " " +
                      shell_quote(impl_->dir.string()) + " >" +
                      shell_quote(impl_->path("certs.log").string()) + " 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      throw std::runtime_error("make-certs.sh failed: " + read_file(impl_->path("certs.log")));
    }
    impl_->token = read_file(impl_->path("token"));
    while (!impl_->token.empty() && impl_->token.back() == '\n') impl_->token.pop_back();
    impl_->start();
  } catch (...) {
    impl_->process.reset();
    std::error_code ec;
    fs::remove_all(impl_->dir, ec);
    throw;
  }
}

TestApiServer::~TestApiServer() {
  impl_->process.reset();
  std::error_code ec;
  fs::remove_all(impl_->dir, ec);
}

std::string TestApiServer::url() const {
  return "https://127.0.0.1:" + std::to_string(impl_->port);
}
std::filesystem::path TestApiServer::kubeconfig_path() const {
  return impl_->path("kubeconfig");
}
std::filesystem::path TestApiServer::ca_path() const {
  return impl_->path("ca.crt");
}
std::string TestApiServer::token() const {
  return impl_->token;
}
std::filesystem::path TestApiServer::dir() const {
  return impl_->dir;
}

void TestApiServer::rotate_token(const std::string& new_token) {
  write_file(impl_->path("token"), new_token + "\n");
  impl_->token = new_token;
  impl_->write_kubeconfig();
}

void TestApiServer::inject(const nlohmann::json& fault) {
  httplib::SSLClient client("127.0.0.1", impl_->port);
  client.set_ca_cert_path(impl_->path("ca.crt").c_str());
  client.enable_server_certificate_verification(true);
  client.set_bearer_token_auth(impl_->token.c_str());
  auto res = client.Post("/_test/faults", fault.dump(), "application/json");
  if (!res || res->status != 200) {
    throw std::runtime_error("fault injection failed: " +
                             (res ? res->body : std::string("no answer")));
  }
}

void TestApiServer::restart() {
  impl_->process.reset();  // SIGTERM: the server flushes its state file
  impl_->start();
}

void TestApiServer::restart(const std::function<void(nlohmann::json& state)>& edit_state) {
  impl_->process.reset();
  auto state = nlohmann::json::parse(read_file(impl_->path("state.json")));
  edit_state(state);
  write_file(impl_->path("state.json"), state.dump());
  impl_->start();
}

int TestApiServer::kubectl(const std::string& args, std::string* out) const {
  std::string cmd = std::string(NP_KUBECTL) + " --kubeconfig " +
                    shell_quote(kubeconfig_path().string()) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run kubectl");
  std::string output;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) output.append(buf.data(), n);
  int status = pclose(pipe);
  if (out) *out = output;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace nfsprov::testing

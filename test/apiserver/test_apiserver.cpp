#include "test/apiserver/test_apiserver.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>
#include <vector>

#include <httplib.h>

#include "test/support/child_process.h"
#include "test/support/kubeconfig.h"
#include "test/support/temp_dir.h"

namespace nfsprov::testing {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

struct TestApiServer::Impl {
  Options options;
  TempDir dir{"np-apiserver"};
  int port = 0;
  std::string token;
  std::unique_ptr<ChildProcess> process;

  fs::path path(const char* name) const { return dir.path() / name; }

  void write_kubeconfig() const {
    testing::write_kubeconfig(dir,
                              {.server = "https://127.0.0.1:" + std::to_string(port),
                               .cluster = {"certificate-authority: " + path("ca.crt").string()},
                               .user = {"token: " + token},
                               .namespace_name = "default"});
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
    // The log is appended to: a restart keeps what the previous life wrote.
    process = std::make_unique<ChildProcess>(argv, current_environment(), path("apiserver.log"),
                                             ChildProcess::Log::append);
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
  // A throw below destroys impl_: the process stops, then the directory goes.
  std::string out;
  if (run_command(std::string(NP_TEST_APISERVER_CERT_SCRIPT) + " " +
                      shell_quote(impl_->dir.path().string()),
                  &out) != 0)
    throw std::runtime_error("make-certs.sh failed: " + out);
  impl_->token = read_file(impl_->path("token"));
  while (!impl_->token.empty() && impl_->token.back() == '\n') impl_->token.pop_back();
  impl_->start();
}

// SIGTERM (then SIGKILL) by the process's destructor, then the directory goes.
TestApiServer::~TestApiServer() = default;

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
  return impl_->dir.path();
}

void TestApiServer::rotate_token(const std::string& new_token) {
  impl_->dir.write("token", new_token + "\n");
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
  impl_->dir.write("state.json", state.dump());
  impl_->start();
}

int TestApiServer::kubectl(const std::string& args, std::string* out) const {
  return run_command(std::string(NP_KUBECTL) + " --kubeconfig " +
                         shell_quote(kubeconfig_path().string()) + " " + args,
                     out);
}

}  // namespace nfsprov::testing

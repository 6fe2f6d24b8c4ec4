// kube-test-apiserver: the project's stand-in for kube-apiserver (plus the bits of
// kube-controller-manager a provisioner needs) for tests and the demo. See README.md.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "test/apiserver/api_server.h"

namespace {

namespace ap = nfsprov::testing::apiserver;

void write_atomically(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(tmp, path);
}

void save_state(ap::ApiServer& server, const std::filesystem::path& path) {
  if (path.empty()) return;
  nlohmann::json state;
  {
    auto lock = server.store().lock();
    if (!server.store().dirty()) return;
    state = server.store().snapshot();
  }
  write_atomically(path, state.dump());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Kubernetes API server for nfs-provisioner tests"};
  int port = 0;
  std::string port_file, state_file, audit_log;
  ap::ServerConfig config;
  std::string cert, key, token_file;
  std::size_t history = 1000;
  bool no_controllers = false;
  int bookmark_ms = 1000;
  app.add_option("--port", port, "port on 127.0.0.1 (0: pick a free one and print it)");
  app.add_option("--port-file", port_file, "write the bound port here");
  app.add_option("--cert", cert, "PEM serving certificate")->required();
  app.add_option("--key", key, "PEM private key")->required();
  app.add_option("--token-file", token_file, "file holding the accepted bearer token")->required();
  app.add_option("--state-file", state_file, "objects persisted here (loaded at start)");
  app.add_option("--history", history, "watch events kept");
  app.add_option("--audit-log", audit_log, "one JSON line per request");
  app.add_flag("--no-controllers", no_controllers, "do not run the PV binder/annotator");
  app.add_option("--bookmark-interval-ms", bookmark_ms, "bookmark period on watches");
  CLI11_PARSE(app, argc, argv);

  // Signals are taken by one thread with sigwait, so block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  config.cert = cert;
  config.key = key;
  config.token_file = token_file;
  config.audit_log = audit_log;
  config.history = history;
  config.controllers = !no_controllers;
  config.bookmark_interval = std::chrono::milliseconds(bookmark_ms);

  try {
    ap::ApiServer server(config);
    if (!state_file.empty() && std::filesystem::exists(state_file)) {
      std::ifstream in(state_file);
      server.restore(nlohmann::json::parse(in));
    } else {
      server.seed();
    }
    int bound = server.bind(port);
    if (!port_file.empty()) write_atomically(port_file, std::to_string(bound) + "\n");
    std::cout << "kube-test-apiserver listening on https://127.0.0.1:" << bound << std::endl;

    std::atomic<bool> done{false};
    std::thread signal_waiter([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      done = true;
      server.stop();
    });
    // Persist once a second while changes happen, so a SIGKILL loses at most a second.
    std::thread flusher([&] {
      while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        save_state(server, state_file);
      }
    });
    server.listen();
    if (!done) {
      done = true;
      pthread_kill(signal_waiter.native_handle(), SIGTERM);
    }
    signal_waiter.join();
    flusher.join();
    save_state(server, state_file);
  } catch (const std::exception& e) {
    std::cerr << "kube-test-apiserver: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}

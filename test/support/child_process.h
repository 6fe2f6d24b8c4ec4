// A program run by a test, stopped (SIGTERM, then SIGKILL) when the object goes away, pass
// or fail. Its stdout and stderr go to a log file the test can show on failure.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace nfsprov::testing {

class ChildProcess {
 public:
  // env replaces the environment entirely (a test must not leak the developer's KUBECONFIG).
  ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env, const std::filesystem::path& log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running();
  // SIGTERM, wait up to grace, then SIGKILL. Returns the exit status as a shell shows it
  // (128 + signal when killed).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  std::string log_text() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::filesystem::path log_;
};

// Runs a shell command, returns its exit code; stdout (and stderr) into *out when given.
int run_command(const std::string& command, std::string* out = nullptr);

}  // namespace nfsprov::testing

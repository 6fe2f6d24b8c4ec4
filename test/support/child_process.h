// ChildProcess: a program run by a test with an exact argv and environment, its stdout and
// stderr going to one log file the test can read (and show on failure). Stopped when the
// object goes away, pass or fail: SIGTERM, then SIGKILL, and always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nfsprov::testing {

class ChildProcess {
 public:
  enum class Log { truncate, append };

  // argv[0] is the program; env ("NAME=value" each) replaces the environment entirely (a test
  // must not leak the developer's KUBECONFIG): pass current_environment() to inherit it.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::filesystem::path& log, Log mode = Log::truncate);
  ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env, const std::filesystem::path& log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends sig while the child runs (SIGKILL, SIGSTOP, SIGCONT: the test's faults).
  void signal(int sig);
  // The exit status as a shell shows it (128 + N when killed by signal N), or nullopt when it
  // still runs after limit (0: only a look).
  std::optional<int> wait_for(std::chrono::milliseconds limit);
  // SIGTERM, wait up to grace, then SIGKILL. Returns the exit status as wait_for does.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Until the log contains text (true), or the child exits or limit passes without it.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds limit);
  std::string output() const;
  std::string log_text() const { return output(); }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path log_;
};

// This process's environment, "NAME=value" each, for a child that inherits it.
std::vector<std::string> current_environment();

// s quoted for sh: 'it'\''s'.
std::string shell_quote(const std::string& s);

// Runs a shell command, returns its exit code; stdout (and stderr) into *out when given.
int run_command(const std::string& command, std::string* out = nullptr);

}  // namespace nfsprov::testing

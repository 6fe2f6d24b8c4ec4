// Child: runs a program with an exact argv and environment, its stdout and stderr going to
// one file, for tests of the nfs-provisioner binary. Killed (SIGKILL) and reaped when
// destroyed if still running.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace nfsprov::testing {

class Child {
 public:
  Child(std::vector<std::string> argv, std::vector<std::string> env, std::filesystem::path output);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // The exit status (128+N when killed by signal N), or nullopt when still running after
  // the limit.
  std::optional<int> wait_for(std::chrono::milliseconds limit);
  // Waits until the output contains text (true), or the child exits or the limit passes.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds limit);
  std::string output() const;

 private:
  std::filesystem::path output_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace nfsprov::testing

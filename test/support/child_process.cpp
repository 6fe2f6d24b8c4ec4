#include "test/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace nfsprov::testing {
namespace {

int shell_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> argv_of(const std::filesystem::path& program,
                                 const std::vector<std::string>& args) {
  std::vector<std::string> argv{program.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> env_of(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, const std::filesystem::path& log,
                           Log mode)
    : log_(log) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: no program");
  // Everything exec needs is prepared before fork: the child only calls async-signal-safe
  // functions.
  auto argv_s = argv;
  auto env_s = env;
  const auto args = pointers(argv_s);
  const auto envp = pointers(env_s);
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == Log::append ? O_APPEND : O_TRUNC);
  const int fd = ::open(log.c_str(), flags, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + log.string());
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fd);
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (pid_ == 0) {
    // The test runner may block signals; the program must start with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(fd);
}

ChildProcess::ChildProcess(const std::filesystem::path& program,
                           const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env,
                           const std::filesystem::path& log)
    : ChildProcess(argv_of(program, args), env_of(env), log) {}

ChildProcess::~ChildProcess() {
  signal(SIGCONT);  // a stopped child cannot act on SIGTERM
  stop(std::chrono::seconds(2));
}

bool ChildProcess::running() {
  return !wait_for(std::chrono::milliseconds(0)).has_value();
}

void ChildProcess::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!status_ && pid_ > 0) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = shell_status(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return status_.value_or(-1);
  ::kill(pid_, SIGTERM);
  if (auto status = wait_for(grace)) return *status;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  status_ = shell_status(status);
  return *status_;
}

bool ChildProcess::wait_for_output(const std::string& text, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (output().find(text) != std::string::npos) return true;
    if (wait_for(std::chrono::milliseconds(0)) || std::chrono::steady_clock::now() >= deadline)
      return output().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ChildProcess::output() const {
  std::ifstream in(log_);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** p = environ; p && *p; ++p) env.emplace_back(*p);
  return env;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int run_command(const std::string& command, std::string* out) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) throw std::system_error(errno, std::generic_category(), "popen");
  std::array<char, 4096> buffer{};
  std::string text;
  while (auto n = std::fread(buffer.data(), 1, buffer.size(), pipe.get()))
    text.append(buffer.data(), n);
  int status = ::pclose(pipe.release());
  if (out) *out = std::move(text);
  return shell_status(status);
}

}  // namespace nfsprov::testing

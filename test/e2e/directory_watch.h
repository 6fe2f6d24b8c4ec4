// DirectoryWatch: names created in one directory on the local disk (inotify IN_CREATE), so a
// test reacts within microseconds of the NFS server's mkdir rather than at its next poll:
// the way to freeze or kill a provisioner between a directory's mkdir and its PV's create.
#pragma once

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace nfsprov::e2e {

// Names created in one directory (inotify IN_CREATE), so the test reacts within microseconds
// of the server's mkdir rather than at the next poll.
class DirectoryWatch {
 public:
  explicit DirectoryWatch(const std::filesystem::path& dir)
      : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ < 0 || ::inotify_add_watch(fd_, dir.c_str(), IN_CREATE) < 0)
      throw std::runtime_error("inotify on " + dir.string() + " failed");
  }
  ~DirectoryWatch() { ::close(fd_); }
  DirectoryWatch(const DirectoryWatch&) = delete;
  DirectoryWatch& operator=(const DirectoryWatch&) = delete;

  // True once name was created (since the watch began), false after limit. With prefix, any
  // name starting with it will do.
  bool wait_created(const std::string& name, std::chrono::milliseconds limit, bool prefix = false) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      alignas(inotify_event) std::array<char, 8192> buffer{};
      const auto n = ::read(fd_, buffer.data(), buffer.size());
      for (ssize_t at = 0; at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + at);
        if (event->len > 0 &&
            (prefix ? std::string(event->name).starts_with(name) : name == event->name))
          return true;
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= std::chrono::milliseconds(0)) return false;
      pollfd pfd{fd_, POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(left.count()));
    }
  }

 private:
  int fd_;
};

}  // namespace nfsprov::e2e

#include "nfs/relative_path.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

#include "nfs/nfs_error.h"

using nfsprov::nfs::NfsError;
using nfsprov::nfs::PathError;
using nfsprov::nfs::RelativePath;

TEST_CASE("a plain relative path splits into its components", "[unit]") {
  const auto p = RelativePath::parse("default-claim-pvc-1");
  CHECK(p.components() == std::vector<std::string>{"default-claim-pvc-1"});
  CHECK(p.nfs_path() == "/default-claim-pvc-1");

  const auto nested = RelativePath::parse("team/db/data");
  CHECK(nested.components().size() == 3);
  CHECK(nested.str() == "team/db/data");
  CHECK(nested.prefix(2).str() == "team/db");
  CHECK(nested.parent().str() == "team/db");
  CHECK(nested.child("x").str() == "team/db/data/x");
  CHECK(RelativePath::parse("...hidden/a.b").str() == "...hidden/a.b");
}

TEST_CASE("the export root is refused unless explicitly allowed", "[unit]") {
  CHECK_THROWS_AS(RelativePath::parse(""), PathError);
  const auto root = RelativePath::parse("", true);
  CHECK(root.is_root());
  CHECK(root.nfs_path() == "/");
  CHECK(root.parent().is_root());
}

TEST_CASE("hostile paths are refused with a clear PathError", "[unit]") {
  const std::string nul_path("a\0b", 3);
  const std::string long_component(256, 'x');
  std::string long_path;
  while (long_path.size() <= 4096) long_path += std::string(200, 'y') + "/";
  long_path += "z";
  struct Case {
    std::string path, reason;
  };
  const Case cases[] = {
      {"/etc", "absolute"},      {"..", "\"..\""},
      {"../x", "\"..\""},        {"a/../../x", "\"..\""},
      {"a/..", "\"..\""},        {".", "\".\""},
      {"a/./b", "\".\""},        {"a//b", "empty component"},
      {"a/", "empty component"}, {nul_path, "NUL"},
      {long_component, "255"},   {long_path, "4096"},
  };
  for (const auto& c : cases) {
    INFO("path: " << c.path.substr(0, 40));
    try {
      RelativePath::parse(c.path, true);
      FAIL("accepted");
    } catch (const PathError& e) {
      CHECK_THAT(e.what(), Catch::Contains(c.reason));
    }
  }
  CHECK_NOTHROW(RelativePath::parse(std::string(255, 'x')));
  CHECK_THROWS_AS(RelativePath::parse("a").child(".."), PathError);
  CHECK_THROWS_AS(RelativePath::parse("a").child("b/c"), PathError);
}

TEST_CASE("NfsError names the operation, path, server and errno, and is classified", "[unit]") {
  const NfsError e("chown", "ns-claim-pv", "10.0.0.5:/srv/nfs", EPERM, "NFS3ERR_PERM");
  CHECK_THAT(e.what(), Catch::Contains("chown") && Catch::Contains("ns-claim-pv") &&
                           Catch::Contains("10.0.0.5:/srv/nfs") && Catch::Contains("EPERM") &&
                           Catch::Contains("Operation not permitted"));
  CHECK(e.error_number() == EPERM);
  for (int err : {EACCES, EPERM, EROFS, ENOSPC, ENOTDIR, EDQUOT, EEXIST, ELOOP})
    CHECK_FALSE(NfsError("op", "p", "s", err).retryable());
  for (int err : {EINTR, EIO, EAGAIN, ETIMEDOUT, ECONNRESET, ENOTCONN})
    CHECK(NfsError("op", "p", "s", err).retryable());
}

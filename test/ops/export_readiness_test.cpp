#include "provisioner/ops/export_readiness.h"

#include <catch2/catch.hpp>

#include "nfs/export_pool.h"
#include "test/nfs_server/ganesha_server.h"

using namespace nfsprov::ops;
using namespace std::chrono_literals;

TEST_CASE("an export's readiness follows its server going down and up", "[export_readiness]") {
  nfsprov::testing::GaneshaServer server;
  nfsprov::nfs::ExportPool pool(server.address("export", 1s), 1);
  auto check = export_answers(pool);

  auto outcome = check();
  CHECK(outcome.ok);
  CHECK(outcome.detail == "127.0.0.1:/export answers");

  server.stop();
  outcome = check();
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.detail.find("127.0.0.1:/export") != std::string::npos);

  server.start();
  outcome = check();
  if (!outcome.ok) outcome = check();  // the client that saw the outage is replaced on failure
  CHECK(outcome.ok);
}

#include <catch2/catch.hpp>
#include <sstream>

#include "provisioner/log/log.h"

using nfsprov::log::Field;
using nfsprov::log::format_line;
using nfsprov::log::Level;
using nfsprov::log::Logger;

TEST_CASE("log lines carry level, message and key=value fields", "[unit][log]") {
  auto line = format_line("T", Level::info, "provisioned volume",
                          {{"claim", "default/www-0"}, {"pv", "pvc-1"}, {"ms", 12}});
  CHECK(line == "T info msg=\"provisioned volume\" claim=default/www-0 pv=pvc-1 ms=12\n");
}

TEST_CASE("log values with spaces, quotes and control bytes are quoted and escaped",
          "[unit][log]") {
  std::string nul_value("a\0b", 3);
  auto line = format_line("T", Level::warning, "x",
                          {{"error", "no \"such\" dir"}, {"empty", ""}, {"raw", nul_value}});
  CHECK(line == "T warning msg=x error=\"no \\\"such\\\" dir\" empty=\"\" raw=\"a\\x00b\"\n");
}

TEST_CASE("the logger drops lines above its level", "[unit][log]") {
  std::ostringstream out;
  Logger logger(out, Level::info);
  logger.debug("hidden");
  logger.info("shown", {{"k", "v"}});
  CHECK(out.str().find("hidden") == std::string::npos);
  CHECK(out.str().find("msg=shown k=v") != std::string::npos);
  logger.set_level(Level::debug);
  logger.debug("now shown");
  CHECK(out.str().find("now shown") != std::string::npos);
}

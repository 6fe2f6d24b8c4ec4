#include <catch2/catch.hpp>

#include "provisioner/base/host_port.h"
#include "provisioner/base/text.h"
#include "provisioner/config/duration.h"
#include "provisioner/config/settings.h"

using namespace nfsprov::config;
using nfsprov::base::parse_go_bool;
using nfsprov::base::parse_host_port;
using nfsprov::base::parse_port;
using namespace std::chrono_literals;

namespace {

const Environment kBase{{"NFS_SERVER", "10.0.0.5"},
                        {"NFS_PATH", "/srv/nfs"},
                        {"PROVISIONER_NAME", "k8s-sigs.io/nfs-subdir-external-provisioner"}};

Environment without(Environment env, const std::string& name) {
  env.erase(name);
  return env;
}

Environment with(Environment env, const std::string& name, const std::string& value) {
  env[name] = value;
  return env;
}

std::string usage_error(const std::vector<std::string>& args, const Environment& env) {
  try {
    parse_settings(args, env);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("the nfs-subdir environment variables alone configure a run") {
  auto s = parse_settings({}, kBase);
  CHECK(s.command == Command::run);
  CHECK(s.nfs.server == "10.0.0.5");
  CHECK(s.nfs.export_path == "/srv/nfs");
  CHECK(s.provisioner_name == "k8s-sigs.io/nfs-subdir-external-provisioner");
  CHECK(s.nfs.nfs_port == 0);
  CHECK(s.nfs.mount_port == 0);
  CHECK_FALSE(s.nfs.uid.has_value());
  CHECK(s.workers == 16);
  CHECK(s.leader_election.enabled);
  CHECK(s.leader_election.lease_duration == 15s);
  CHECK(s.leader_election.renew_deadline == 10s);
  CHECK(s.leader_election.retry_period == 2s);
  CHECK(s.metrics_address == ":8080");
  CHECK(s.verbosity == 0);
  CHECK_FALSE(s.kubeconfig.has_value());
  CHECK_FALSE(s.retry_base.has_value());
}

TEST_CASE("each required setting missing is one line naming the variable and the flag") {
  CHECK(usage_error({}, without(kBase, "NFS_SERVER")) ==
        "NFS_SERVER is not set (or pass --nfs-server)");
  CHECK(usage_error({}, without(kBase, "NFS_PATH")) == "NFS_PATH is not set (or pass --nfs-path)");
  CHECK(usage_error({}, without(kBase, "PROVISIONER_NAME")) ==
        "PROVISIONER_NAME is not set (or pass --provisioner-name)");
  CHECK(usage_error({}, with(kBase, "NFS_SERVER", "")) ==
        "NFS_SERVER is not set (or pass --nfs-server)");
}

TEST_CASE("flags win over environment variables") {
  auto s = parse_settings({"--nfs-server", "127.0.0.1", "--nfs-path=/export", "--provisioner-name",
                           "example.com/nfs", "--kubeconfig", "/tmp/kc"},
                          with(kBase, "KUBECONFIG", "/env/kc"));
  CHECK(s.nfs.server == "127.0.0.1");
  CHECK(s.nfs.export_path == "/export");
  CHECK(s.provisioner_name == "example.com/nfs");
  CHECK(s.kubeconfig == "/tmp/kc");
  // $KUBECONFIG is a list that kube::resolve_kube_config merges: it is not copied here, where
  // it would be taken for one file (its tests are in kube_config_test).
  CHECK_FALSE(parse_settings({}, with(kBase, "KUBECONFIG", "/env/a:/env/b")).kubeconfig);
  auto only_flags = parse_settings(
      {"--nfs-server", "h", "--nfs-path", "/p", "--provisioner-name", "n"}, Environment{});
  CHECK(only_flags.nfs.server == "h");
}

TEST_CASE("NFS identity, ports and timeout flags fill the export address") {
  auto s = parse_settings({"--nfs-port", "14049", "--mount-port", "14048", "--nfs-uid", "1000",
                           "--nfs-gid", "0", "--nfs-timeout", "2500ms"},
                          kBase);
  CHECK(s.nfs.nfs_port == 14049);
  CHECK(s.nfs.mount_port == 14048);
  CHECK(s.nfs.uid == 1000u);
  CHECK(s.nfs.gid == 0u);
  CHECK(s.nfs.timeout == 2500ms);
  CHECK_THAT(usage_error({"--nfs-port", "70000"}, kBase), Catch::Contains("--nfs-port"));
  CHECK_THAT(usage_error({"--nfs-uid", "-5"}, kBase), Catch::Contains("--nfs-uid"));
  CHECK_THAT(usage_error({"--nfs-timeout", "soon"}, kBase), Catch::Contains("--nfs-timeout"));
  CHECK_THAT(usage_error({"--nfs-timeout", "0s"}, kBase), Catch::Contains("--nfs-timeout"));
}

TEST_CASE("ENABLE_LEADER_ELECTION is parsed like Go's ParseBool and the flag wins") {
  for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"})
    CHECK(parse_settings({}, with(kBase, "ENABLE_LEADER_ELECTION", yes)).leader_election.enabled);
  for (const char* no : {"0", "f", "F", "FALSE", "false", "False"})
    CHECK_FALSE(
        parse_settings({}, with(kBase, "ENABLE_LEADER_ELECTION", no)).leader_election.enabled);
  CHECK(usage_error({}, with(kBase, "ENABLE_LEADER_ELECTION", "yes")) ==
        "ENABLE_LEADER_ELECTION=\"yes\" is not a boolean (use true or false)");
  CHECK_FALSE(parse_settings({"--leader-elect=false"}, kBase).leader_election.enabled);
  CHECK(parse_settings({"--leader-elect"}, with(kBase, "ENABLE_LEADER_ELECTION", "false"))
            .leader_election.enabled);
  CHECK_FALSE(parse_go_bool("tRuE").has_value());
}

TEST_CASE("lease namespace comes from the flag, else POD_NAMESPACE, and timings are checked") {
  auto env = with(with(kBase, "POD_NAMESPACE", "storage"), "POD_NAME", "nfs-7d9-abc");
  auto s = parse_settings({}, env);
  CHECK(s.leader_election.lease_namespace == "storage");
  CHECK(s.pod_name == "nfs-7d9-abc");
  CHECK(parse_settings({"--leader-elect-namespace", "kube-system"}, env)
            .leader_election.lease_namespace == "kube-system");
  auto fast =
      parse_settings({"--leader-elect-lease-duration", "3s", "--leader-elect-renew-deadline", "2s",
                      "--leader-elect-retry-period", "500ms"},
                     kBase);
  CHECK(fast.leader_election.lease_duration == 3s);
  CHECK(fast.leader_election.renew_deadline == 2s);
  CHECK(fast.leader_election.retry_period == 500ms);
  CHECK_THAT(usage_error({"--leader-elect-lease-duration", "5s"}, kBase),
             Catch::Contains("renew deadline"));
  CHECK_THAT(usage_error({"--leader-elect-retry-period", "9s"}, kBase),
             Catch::Contains("retry period"));
}

TEST_CASE("workers, rate limits, metrics address, back-off and verbosity") {
  auto s = parse_settings({"--workers", "8", "--kube-api-qps", "5", "--kube-api-burst", "10",
                           "--metrics-address", "127.0.0.1:9100", "--resync-period", "1m",
                           "--retry-base", "100ms", "--retry-max", "2s", "-v", "-v"},
                          kBase);
  CHECK(s.workers == 8);
  CHECK(s.kube_api_qps == 5);
  CHECK(s.kube_api_burst == 10);
  CHECK(s.metrics_address == "127.0.0.1:9100");
  CHECK(s.resync_period == 60s);
  CHECK(s.retry_base == 100ms);
  CHECK(s.retry_max == 2s);
  CHECK(s.verbosity == 2);
  CHECK(parse_settings({"-v"}, kBase).verbosity == 1);
  CHECK(parse_settings({"--metrics-address", ""}, kBase).metrics_address.empty());
  CHECK(parse_settings({"--metrics-address="}, kBase).metrics_address.empty());
  CHECK(parse_settings({"--metrics-address=", "--workers=2"}, kBase).workers == 2);
  CHECK_THAT(usage_error({"--metrics-address", "localhost"}, kBase),
             Catch::Contains("--metrics-address"));
  CHECK_THAT(usage_error({"--workers", "0"}, kBase), Catch::Contains("--workers"));
  CHECK_THAT(usage_error({"--retry-base", "5s", "--retry-max", "1s"}, kBase),
             Catch::Contains("--retry-base"));
  CHECK_THAT(usage_error({"--nfs-path", "/export?uid=0&a="}, kBase),
             Catch::Contains("NFS_PATH") && Catch::Contains("NFS options"));
  CHECK_THAT(usage_error({"--nfs-server", "nas?uid=0&a="}, kBase),
             Catch::Contains("NFS_SERVER") && Catch::Contains("not a host name"));
  CHECK_FALSE(parse_settings({}, kBase).stall_timeout.has_value());  // the controller's 10m
  CHECK(parse_settings({"--stall-timeout=90s"}, kBase).stall_timeout == 90s);
  CHECK_THAT(usage_error({"--stall-timeout=0s"}, kBase), Catch::Contains("--stall-timeout"));
}

TEST_CASE("the metrics address is judged by parse_host_port, as the health server parses it") {
  // Empty turns the server off; the parser itself refuses "", so nothing binds an empty host.
  CHECK(parse_settings({"--metrics-address="}, kBase).metrics_address.empty());
  CHECK_THROWS_AS(parse_host_port(""), std::invalid_argument);

  struct Good {
    const char* text;
    const char* host;
    int port;
  };
  for (const Good& good :
       {Good{":8080", "", 8080}, Good{"127.0.0.1:0", "127.0.0.1", 0},
        Good{"[::1]:8080", "::1", 8080}, Good{"localhost:65535", "localhost", 65535},
        // Over 5 digits: the settings refused it, the health server took it.
        Good{":000080", "", 80}}) {
    INFO(good.text);
    const auto parsed = parse_host_port(good.text);
    CHECK(parsed.host == good.host);
    CHECK(parsed.port == good.port);
    CHECK(parse_settings({"--metrics-address", good.text}, kBase).metrics_address == good.text);
  }
  // The first three passed the settings' own check, then failed to bind (exit 1, not 2).
  for (const char* bad : {"::1:8080", "[::1", "[]:8080", "[::1]", "[::1]8080", "127.0.0.1", "host:",
                          ":", ":65536", ":99999", ":4294967376", ":-1", ":+80", ":80x", ":8 0"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_host_port(bad), std::invalid_argument);
    const auto message = usage_error({"--metrics-address", bad}, kBase);
    CHECK_THAT(message, Catch::StartsWith("--metrics-address \"" + std::string(bad) + "\": "));
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(usage_error({"--metrics-address", ":80x"}, kBase) ==
        "--metrics-address \":80x\": port must be a number from 0 to 65535");
}

TEST_CASE("ports are digits from 0 to 65535 and nothing else") {
  CHECK(parse_port("0") == 0);
  CHECK(parse_port("65535") == 65535);
  CHECK(parse_port("08080") == 8080);
  for (const char* bad :
       {"", "65536", "-0", "-1", "+1", " 1", "1 ", "0x10", "abc", "1e3", "99999999999999999999"}) {
    INFO(bad);
    CHECK_FALSE(parse_port(bad).has_value());
  }
}

TEST_CASE("bad values and unknown flags are one-line usage errors") {
  CHECK_THAT(usage_error({"--no-such-flag"}, kBase), Catch::Contains("--no-such-flag"));
  CHECK_THAT(usage_error({}, with(kBase, "NFS_PATH", "srv/nfs")), Catch::Contains("absolute"));
  CHECK_THAT(usage_error({"--workers", "many"}, kBase), Catch::Contains("--workers"));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--no-such-flag"}, {"--workers", "many"}, {"--nfs-port", "70000"}}) {
    auto message = usage_error(args, kBase);
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("help and version need no configuration") {
  auto help = parse_settings({"--help"}, Environment{});
  CHECK(help.command == Command::help);
  CHECK_THAT(help.help_text, Catch::Contains("--nfs-server"));
  CHECK_THAT(help.help_text, Catch::Contains("check"));
  CHECK(parse_settings({"--version"}, Environment{}).command == Command::version);
}

TEST_CASE("check takes an explicit export, or the provisioner name to find our classes") {
  auto direct = parse_settings(
      {"check", "--nfs-server", "127.0.0.1", "--nfs-path", "/export", "--nfs-port", "14049"},
      Environment{});
  CHECK(direct.command == Command::check);
  CHECK(direct.nfs.server == "127.0.0.1");
  CHECK(direct.nfs.nfs_port == 14049);
  CHECK_FALSE(direct.check_classes);
  auto classes = parse_settings({"check"}, Environment{{"PROVISIONER_NAME", "example.com/nfs"}});
  CHECK(classes.command == Command::check);
  CHECK(classes.check_classes);
  CHECK(classes.nfs.server.empty());
  // In a pod NFS_SERVER is set too: it is the classes' default, not the thing to check.
  auto in_pod = parse_settings({"check"}, kBase);
  CHECK(in_pod.check_classes);
  CHECK(in_pod.nfs.server == "10.0.0.5");
  CHECK_FALSE(parse_settings({"check", "--nfs-server", "h"}, kBase).check_classes);
  CHECK(usage_error({"check", "--nfs-server", "h"}, Environment{}) ==
        "check --nfs-server needs --nfs-path (or NFS_PATH)");
  CHECK_THAT(usage_error({"check"}, Environment{}), Catch::Contains("PROVISIONER_NAME"));
}

TEST_CASE("audit shows a table unless asked for JSON, and cleans up only what it is told") {
  const auto plain = parse_settings({"audit"}, kBase);
  CHECK(plain.command == Command::audit);
  CHECK(plain.check_classes);
  CHECK_FALSE(plain.audit.json);
  CHECK_FALSE(plain.audit.archive_orphans);
  CHECK_FALSE(plain.audit.delete_expired);
  CHECK_FALSE(plain.audit.confirm);
  const auto asked =
      parse_settings({"audit", "-o", "json", "--archive-orphans", "--delete-expired=30d", "--yes",
                      "--nfs-server", "127.0.0.1", "--nfs-path", "/export"},
                     kBase);
  CHECK(asked.audit.json);
  CHECK(asked.audit.archive_orphans);
  CHECK(asked.audit.delete_expired == std::chrono::seconds(30 * 86400));
  CHECK(asked.audit.confirm);
  CHECK_FALSE(asked.check_classes);
  CHECK(usage_error({"audit", "--output", "yaml"}, kBase) ==
        "audit --output \"yaml\" is not table or json");
  CHECK(usage_error({"audit", "--delete-expired", "soon"}, kBase) ==
        "audit --delete-expired \"soon\" is not an age such as 30d, 12h or 1d12h");
  CHECK_THAT(usage_error({"audit"}, Environment{}), Catch::Contains("PROVISIONER_NAME"));
  CHECK(usage_error({"audit", "--nfs-server", "h"}, Environment{{"PROVISIONER_NAME", "n"}}) ==
        "audit --nfs-server needs --nfs-path (or NFS_PATH)");
  CHECK_THAT(usage_error({"check", "--yes"}, kBase), Catch::Contains("--yes"));
}

TEST_CASE("usage walks: every hour at 100 NFS calls/s unless told, 0 turns them off") {
  const auto plain = parse_settings({}, kBase);
  CHECK(plain.usage_interval == std::chrono::hours(1));
  CHECK(plain.usage_ops_per_second == 100);
  const auto off = parse_settings({"--usage-interval=0", "--usage-ops-per-second=0"}, kBase);
  CHECK(off.usage_interval.count() == 0);
  CHECK(off.usage_ops_per_second == 0);
  CHECK(parse_settings({"--usage-interval=10m"}, kBase).usage_interval == std::chrono::minutes(10));
  CHECK_THAT(usage_error({"--usage-ops-per-second=-5"}, kBase),
             Catch::Contains("--usage-ops-per-second"));
  CHECK_THAT(usage_error({"--usage-interval=soon"}, kBase), Catch::Contains("--usage-interval"));
}

TEST_CASE("durations read like Go's") {
  CHECK(parse_duration("15s") == 15s);
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("1m30s") == 90s);
  CHECK(parse_duration("1h") == 3600s);
  CHECK(parse_duration("2.5s") == 2500ms);
  CHECK(parse_duration("30") == 30s);
  CHECK_THROWS_AS(parse_duration(""), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("1m30"), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("5d"), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("s"), std::invalid_argument);
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(0ms) == "0s");
}

TEST_CASE("release-finalizers takes the provisioner name, --all and --dry-run, no NFS settings") {
  // As an admin runs it: only the name, from the flag or PROVISIONER_NAME; no NFS_SERVER.
  auto plain = parse_settings({"release-finalizers", "--provisioner-name", "example.com/nfs"},
                              Environment{});
  CHECK(plain.command == Command::release_finalizers);
  CHECK(plain.provisioner_name == "example.com/nfs");
  CHECK_FALSE(plain.release.all);
  CHECK_FALSE(plain.release.dry_run);
  CHECK_FALSE(plain.kubeconfig.has_value());

  // The main command's flags fall through, before or after the subcommand's own.
  auto both = parse_settings({"--kubeconfig", "/tmp/kc", "release-finalizers", "--all", "--dry-run",
                              "--provisioner-name=flag.example/nfs"},
                             Environment{{"PROVISIONER_NAME", "env.example/nfs"}});
  CHECK(both.command == Command::release_finalizers);
  CHECK(both.release.all);
  CHECK(both.release.dry_run);
  CHECK(both.kubeconfig == "/tmp/kc");
  CHECK(both.provisioner_name == "flag.example/nfs");

  auto from_env = parse_settings({"release-finalizers", "--dry-run"},
                                 Environment{{"PROVISIONER_NAME", "env.example/nfs"}});
  CHECK(from_env.provisioner_name == "env.example/nfs");
  CHECK(from_env.release.dry_run);
  CHECK_FALSE(from_env.release.all);

  // In the pod's environment a stray NFS or leader-election value does not stop a rollback.
  auto in_pod = parse_settings({"release-finalizers"}, with(with(kBase, "NFS_PATH", "relative"),
                                                            "ENABLE_LEADER_ELECTION", "maybe"));
  CHECK(in_pod.command == Command::release_finalizers);
  CHECK(in_pod.provisioner_name == "k8s-sigs.io/nfs-subdir-external-provisioner");

  CHECK_THAT(
      usage_error({"release-finalizers"}, Environment{}),
      Catch::StartsWith("release-finalizers needs PROVISIONER_NAME (or --provisioner-name)"));
  CHECK_THAT(usage_error({"release-finalizers", "--provisioner-name", "a b"}, Environment{}),
             Catch::Contains("must not contain spaces"));
  // Its flags belong to it alone, and one command runs at a time.
  CHECK_THAT(usage_error({"--all"}, kBase), Catch::Contains("--all"));
  CHECK_THAT(usage_error({"check", "--dry-run"}, kBase), Catch::Contains("--dry-run"));
  CHECK_THAT(usage_error({"release-finalizers", "--bogus"}, kBase), Catch::Contains("--bogus"));
  CHECK_THAT(usage_error({"check", "release-finalizers"}, kBase),
             Catch::Contains("release-finalizers"));
  CHECK_THAT(usage_error({"release-finalizers", "check"}, kBase), Catch::Contains("check"));
  auto help = parse_settings({"--help"}, Environment{});
  CHECK_THAT(help.help_text, Catch::Contains("release-finalizers"));
  auto own_help = parse_settings({"release-finalizers", "--help"}, Environment{});
  CHECK(own_help.command == Command::help);
  CHECK_THAT(own_help.help_text, Catch::Contains("--dry-run"));
}

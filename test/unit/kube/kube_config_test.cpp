// Kubeconfig parsing: every variant users have, and malformed files rejected with one line
// that names the field.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "provisioner/kube/base64.h"
#include "provisioner/kube/kube_config.h"
#include "test/support/temp_dir.h"

namespace fs = std::filesystem;
using nfsprov::kube::base64_decode;
using nfsprov::kube::ConfigError;
using nfsprov::kube::load_in_cluster;
using nfsprov::kube::load_kubeconfig_file;
using nfsprov::kube::load_kubeconfig_list;
using nfsprov::kube::load_kubeconfig_string;
using nfsprov::kube::resolve_kube_config;

namespace {

const std::string kCa = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const std::string kKey = "-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n";
// base64 of kCa and kKey, as a kubeconfig's -data fields carry them.
const std::string kCaB64 =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K";
const std::string kKeyB64 =
    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUVmYWtlCi0tLS0tRU5EIFBSSVZBVEUgS0VZLS0tLS0K";

using nfsprov::testing::TempDir;

std::string config_with(const std::string& cluster, const std::string& user,
                        const std::string& context_extra = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: a\n"
         "contexts:\n- name: a\n  context:\n    cluster: c\n    user: u\n" +
         context_extra + "clusters:\n- name: c\n  cluster:\n" + cluster +
         "users:\n- name: u\n  user:\n" + user;
}

template <typename Load>
std::string error_of_call(Load load) {
  try {
    load();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

std::string error_of(const std::string& yaml, const fs::path& base = "/nonexistent") {
  try {
    load_kubeconfig_string(yaml, base);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("base64 decodes padded, unpadded and wrapped text and rejects garbage") {
  CHECK(base64_decode("aGVsbG8=") == "hello");
  CHECK(base64_decode("aGVsbG8") == "hello");
  CHECK(base64_decode("aGVs\nbG8h") == "hello!");
  CHECK(base64_decode(kCaB64) == kCa);
  CHECK_FALSE(base64_decode("a$b=").has_value());
  CHECK_FALSE(base64_decode("aGVsbG8=x").has_value());
  CHECK_FALSE(base64_decode("a").has_value());
}

TEST_CASE("kubeconfig with -data fields and a token") {
  auto c = load_kubeconfig_string(
      config_with(
          "    server: https://127.0.0.1:6443/\n    certificate-authority-data: " + kCaB64 + "\n",
          "    token: abc123\n", "    namespace: storage\n"),
      "/x");
  CHECK(c.server == "https://127.0.0.1:6443");
  CHECK(c.ca_pem == kCa);
  CHECK(c.token == "abc123");
  CHECK(c.token_file.empty());
  CHECK(c.namespace_ == "storage");
  CHECK_FALSE(c.insecure_skip_tls_verify);
}

TEST_CASE("kubeconfig with files resolved against its own directory and a client cert") {
  TempDir dir;
  dir.write("pki/ca.crt", kCa);
  dir.write("pki/client.crt", kCa);
  dir.write("pki/client.key", kKey);
  auto path = dir.write("config", config_with("    server: https://10.0.0.1:6443\n"
                                              "    certificate-authority: pki/ca.crt\n",
                                              "    client-certificate: pki/client.crt\n"
                                              "    client-key: " +
                                                  (dir.path() / "pki/client.key").string() + "\n"));
  auto c = load_kubeconfig_file(path);
  CHECK(c.ca_pem == kCa);
  CHECK(c.client_cert_pem == kCa);
  CHECK(c.client_key_pem == kKey);
  CHECK(c.token.empty());
  CHECK(c.namespace_ == "default");
}

TEST_CASE("kubeconfig with client cert and key as -data") {
  auto c = load_kubeconfig_string(
      config_with("    server: https://h:1\n", "    client-certificate-data: " + kCaB64 +
                                                   "\n    client-key-data: " + kKeyB64 + "\n"),
      "/x");
  CHECK(c.client_cert_pem == kCa);
  CHECK(c.client_key_pem == kKey);
}

TEST_CASE("kubeconfig with tokenFile and insecure-skip-tls-verify") {
  TempDir dir;
  dir.write("token", "tok\n");
  auto path = dir.write("config", config_with("    server: https://h:1\n"
                                              "    insecure-skip-tls-verify: true\n",
                                              "    tokenFile: token\n"));
  auto c = load_kubeconfig_file(path);
  CHECK(c.insecure_skip_tls_verify);
  CHECK(c.token_file == dir.path() / "token");
  CHECK(c.ca_pem.empty());
}

TEST_CASE("malformed kubeconfigs are rejected with one line naming the field") {
  CHECK(error_of("current-context: [").find("not valid YAML") != std::string::npos);
  CHECK(error_of("kind: Config\n") == "kubeconfig <inline>: current-context is not set");
  CHECK(error_of("current-context: b\ncontexts: []\n") ==
        "kubeconfig <inline>: current-context \"b\" is not in contexts");
  CHECK(error_of("current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\n"
                 "    user: u\nclusters:\n- name: c\n  cluster:\n    server: https://h:1\n"
                 "users: []\n") ==
        "kubeconfig <inline>: context \"a\" names user \"u\" which is not in users");
  CHECK(error_of("current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: x\n") ==
        "kubeconfig <inline>: context \"a\" names cluster \"x\" which is not in clusters");
  CHECK(error_of(config_with("    insecure-skip-tls-verify: true\n", "    token: t\n")) ==
        "kubeconfig <inline>: cluster \"c\": server is not set");
  CHECK(error_of(config_with("    server: ftp://h\n", "    token: t\n")) ==
        "kubeconfig <inline>: cluster \"c\": server \"ftp://h\" is not an http(s) URL");
  CHECK(error_of(config_with("    server: https://h\n    certificate-authority-data: '@@'\n",
                             "    token: t\n")) ==
        "kubeconfig <inline>: cluster \"c\": certificate-authority-data is not valid base64");
  CHECK(error_of(config_with("    server: https://h\n    certificate-authority: ca.crt\n",
                             "    token: t\n"),
                 "/nonexistent") ==
        "kubeconfig <inline>: cluster \"c\": certificate-authority /nonexistent/ca.crt cannot "
        "be read");
  CHECK(error_of(config_with("    server: https://h\n    certificate-authority-data: aGVsbG8=\n",
                             "    token: t\n")) ==
        "kubeconfig <inline>: cluster \"c\": certificate-authority is not a PEM certificate");
  CHECK(error_of(config_with("    server: https://h\n",
                             "    client-certificate-data: " + kCaB64 + "\n")) ==
        "kubeconfig <inline>: user \"u\": client-certificate without client-key");
  CHECK(error_of(config_with("    server: https://h\n    insecure-skip-tls-verify: maybe\n",
                             "    token: t\n")) ==
        "kubeconfig <inline>: cluster \"c\": insecure-skip-tls-verify is not a boolean: \"maybe\"");
  CHECK(error_of(config_with("    server: https://h\n", "    token: [a, b]\n")) ==
        "kubeconfig <inline>: user \"u\": token is not a string");
  CHECK(error_of(config_with("    server: https://h\n", "    exec:\n      command: aws\n")) ==
        "kubeconfig <inline>: user \"u\": exec credential plugins are not supported");
  CHECK(error_of(config_with("    server: https://h\n", "    tokenFile: nope\n")) ==
        "kubeconfig <inline>: user \"u\": tokenFile /nonexistent/nope does not exist");
}

TEST_CASE("a missing kubeconfig file names the path") {
  CHECK_THROWS_WITH(load_kubeconfig_file("/nonexistent/kubeconfig"),
                    "kubeconfig /nonexistent/kubeconfig: cannot be read");
}

TEST_CASE("in-cluster configuration from the service-account directory") {
  TempDir dir;
  dir.write("ca.crt", kCa);
  dir.write("token", "sa-token\n");
  dir.write("namespace", "nfs-system");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.43.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = load_in_cluster(dir.path());
  CHECK(c.server == "https://10.43.0.1:443");
  CHECK(c.ca_pem == kCa);
  CHECK(c.token_file == dir.path() / "token");
  CHECK(c.namespace_ == "nfs-system");
  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  CHECK(load_in_cluster(dir.path()).server == "https://[fd00::1]:443");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  CHECK_THROWS_AS(load_in_cluster(dir.path()), ConfigError);
  ::unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST_CASE("a server port that is not 1 to 65535 is an error naming the field and the value") {
  CHECK(error_of(config_with("    server: https://127.0.0.1:abc\n", "    token: t\n")) ==
        "kubeconfig <inline>: cluster \"c\": server \"https://127.0.0.1:abc\" has an invalid "
        "port \"abc\" (want 1 to 65535)");
  // std::stoi took "99999" and "6443x", and threw a bare "stoi" for the others.
  for (const std::string port : {"99999", "0", "", "-1", "+1", "6443x", "99999999999"}) {
    INFO(port);
    CHECK(error_of(config_with("    server: https://h:" + port + "/prefix\n", "    token: t\n")) ==
          "kubeconfig <inline>: cluster \"c\": server \"https://h:" + port +
              "/prefix\" has an invalid port \"" + port + "\" (want 1 to 65535)");
  }
  CHECK(error_of(config_with("    server: https://[::1]:x\n", "    token: t\n")) ==
        "kubeconfig <inline>: cluster \"c\": server \"https://[::1]:x\" has an invalid port \"x\" "
        "(want 1 to 65535)");
  CHECK(error_of(config_with("    server: https://[::1\n", "    token: t\n")) ==
        "kubeconfig <inline>: cluster \"c\": server \"https://[::1\" has no ']' after its IPv6 "
        "address");
  CHECK(error_of(config_with("    server: https://[::1]6443\n", "    token: t\n")) ==
        "kubeconfig <inline>: cluster \"c\": server \"https://[::1]6443\" has text after its IPv6 "
        "address");
  for (const std::string good : {"https://h", "https://h/", "http://h:8080", "https://h:65535/x/",
                                 "https://[::1]", "https://[::1]:6443", "https://10.0.0.1:06443"}) {
    INFO(good);
    CHECK(error_of(config_with("    server: " + good + "\n", "    token: t\n")) == "<no error>");
  }
}

TEST_CASE("in-cluster KUBERNETES_SERVICE_PORT must be a port") {
  TempDir dir;
  dir.write("ca.crt", kCa);
  dir.write("token", "sa-token\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.43.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "https", 1);
  CHECK(error_of_call([&] { load_in_cluster(dir.path()); }) ==
        "in-cluster: KUBERNETES_SERVICE_PORT \"https\" is not a port (want 1 to 65535)");
  ::setenv("KUBERNETES_SERVICE_PORT", "70000", 1);
  CHECK_THROWS_AS(load_in_cluster(dir.path()), ConfigError);
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST_CASE("a KUBECONFIG list is merged as kubectl merges it") {
  TempDir dir;
  dir.write("a/ca.crt", kCa);
  dir.write("b/token", "tok\n");
  // a: current-context and the whole cluster "shared" (its CA relative to a/).
  const auto a = dir.write("a/config",
                           "current-context: ctx\n"
                           "contexts:\n- name: ctx\n  context: {cluster: shared, user: u, "
                           "namespace: from-a}\n"
                           "clusters:\n- name: shared\n  cluster:\n    server: https://a:6443\n"
                           "    certificate-authority: ca.crt\n");
  // b: another current-context, context and "shared" cluster, all shadowed by a's; the user
  // only b has (its tokenFile relative to b/).
  const auto b = dir.write("b/config",
                           "current-context: other\n"
                           "contexts:\n- name: ctx\n  context: {cluster: other, user: u}\n"
                           "- name: other\n  context: {cluster: other}\n"
                           "clusters:\n- name: shared\n  cluster:\n    server: https://b:6443\n"
                           "    insecure-skip-tls-verify: true\n"
                           "- name: other\n  cluster:\n    server: https://other:6443\n"
                           "users:\n- name: u\n  user:\n    tokenFile: token\n");
  auto c = load_kubeconfig_list(a.string() + ":" + b.string());
  CHECK(c.server == "https://a:6443");
  CHECK(c.ca_pem == kCa);
  CHECK_FALSE(c.insecure_skip_tls_verify);  // the first file's entry whole, nothing of b's
  CHECK(c.token_file == dir.path() / "b" / "token");
  CHECK(c.namespace_ == "from-a");

  // current-context comes from the first file that sets it, even a later one.
  const auto no_context = dir.write("n/config",
                                    "clusters:\n- name: other\n  cluster:\n"
                                    "    server: https://first:6443\n");
  c = load_kubeconfig_list(no_context.string() + ":" + b.string());
  CHECK(c.server == "https://first:6443");
  CHECK(c.token.empty());
  CHECK(c.token_file.empty());

  // A file that exists but does not parse is an error even when others have everything.
  const auto broken = dir.write("broken", "current-context: [\n");
  CHECK_THAT(error_of_call([&] { load_kubeconfig_list(a.string() + ":" + broken.string()); }),
             Catch::StartsWith("kubeconfig " + broken.string() + ": not valid YAML"));
  // An error no single file is to blame for names the variable.
  const std::string neither = no_context.string() + ":" + no_context.string();
  CHECK(error_of_call([&] { load_kubeconfig_list(neither); }) ==
        "KUBECONFIG=\"" + neither + "\": current-context is not set");
  // One in an entry of one file names that file.
  const auto bad_port =
      dir.write("p/config", "clusters:\n- name: other\n  cluster:\n    server: https://h:x\n");
  CHECK(error_of_call([&] { load_kubeconfig_list(bad_port.string() + ":" + b.string()); }) ==
        "kubeconfig " + bad_port.string() +
            ": cluster \"other\": server \"https://h:x\" has an invalid port \"x\" (want 1 to "
            "65535)");
}

TEST_CASE("a KUBECONFIG list with one file, empty entries or missing files is that file") {
  TempDir dir;
  const auto one =
      dir.write("config", config_with("    server: https://one:6443\n", "    token: t\n"));
  const std::string f = one.string();
  const std::string missing = (dir.path() / "missing").string();
  for (const std::string& list :
       {f, f + ":", ":" + f, f + "::" + f, missing + ":" + f, "::" + missing + "::" + f + ":"}) {
    INFO(list);
    auto c = load_kubeconfig_list(list);
    CHECK(c.server == "https://one:6443");
    CHECK(c.token == "t");
  }
  // Errors then name the file, as they do for --kubeconfig.
  const auto no_server =
      dir.write("bad", config_with("    insecure-skip-tls-verify: true\n", "    token: t\n"));
  CHECK(error_of_call([&] { load_kubeconfig_list(missing + "::" + no_server.string()); }) ==
        "kubeconfig " + no_server.string() + ": cluster \"c\": server is not set");
  CHECK(error_of_call([&] { load_kubeconfig_list(missing + ":" + missing); }) ==
        "KUBECONFIG=\"" + missing + ":" + missing + "\": no file it lists exists");
  CHECK(error_of_call([&] { load_kubeconfig_list(":"); }) ==
        "KUBECONFIG=\":\": no file it lists exists");
}

TEST_CASE("resolve_kube_config merges $KUBECONFIG, and --kubeconfig names one file") {
  TempDir dir;
  const auto first = dir.write("first", "current-context: a\n");
  const auto second =
      dir.write("second", config_with("    server: https://second:6443\n", "    token: t\n"));
  ::setenv("KUBECONFIG", (first.string() + "::" + second.string()).c_str(), 1);
  CHECK(resolve_kube_config(std::nullopt).server == "https://second:6443");
  CHECK(resolve_kube_config(std::string()).server == "https://second:6443");
  // The flag wins and is one file, however its name looks.
  CHECK(resolve_kube_config(second.string()).server == "https://second:6443");
  CHECK(error_of_call([&] { resolve_kube_config(first.string()); }) ==
        "kubeconfig " + first.string() + ": current-context \"a\" is not in contexts");
  CHECK(error_of_call([&] { resolve_kube_config(first.string() + ":" + second.string()); }) ==
        "kubeconfig " + first.string() + ":" + second.string() + ": cannot be read");
  ::unsetenv("KUBECONFIG");
}

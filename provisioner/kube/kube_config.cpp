#include "provisioner/kube/kube_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "provisioner/kube/base64.h"

namespace nfsprov::kube {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Everything a kubeconfig's error needs to name: the file (or "<inline>") it came from.
class Parser {
 public:
  Parser(std::string origin, fs::path base_dir)
      : origin_(std::move(origin)), base_dir_(std::move(base_dir)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw ConfigError("kubeconfig " + origin_ + ": " + what);
  }

  // A scalar field, or nullopt when absent; anything but a scalar is an error naming it.
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& key,
                                    const std::string& where) const {
    const YAML::Node value = node[key];
    if (!value || value.IsNull()) return std::nullopt;
    if (!value.IsScalar()) fail(where + key + " is not a string");
    return value.Scalar();
  }

  bool boolean(const YAML::Node& node, const std::string& key, const std::string& where) const {
    auto text = scalar(node, key, where);
    if (!text) return false;
    if (*text == "true" || *text == "True" || *text == "TRUE") return true;
    if (*text == "false" || *text == "False" || *text == "FALSE") return false;
    fail(where + key + " is not a boolean: \"" + *text + "\"");
  }

  // The entry of a named list (clusters/users/contexts) with this name, or an undefined node.
  YAML::Node find_named(const YAML::Node& root, const std::string& list, const std::string& name,
                        const std::string& inner) const {
    const YAML::Node entries = root[list];
    if (!entries || entries.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
    if (!entries.IsSequence()) fail(list + " is not a list");
    for (const auto& entry : entries) {
      if (!entry.IsMap()) fail(list + " has an entry that is not a map");
      auto entry_name = scalar(entry, "name", list + " entry ");
      if (entry_name && *entry_name == name) {
        const YAML::Node body = entry[inner];
        if (!body || !body.IsMap()) fail(list + " entry \"" + name + "\" has no " + inner + " map");
        return body;
      }
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  fs::path resolve(const std::string& path) const {
    fs::path p(path);
    return p.is_relative() ? base_dir_ / p : p;
  }

  // A "<field>" path or "<field>-data" base64 value; "" when neither is set.
  std::string file_or_data(const YAML::Node& node, const std::string& field,
                           const std::string& where) const {
    if (auto data = scalar(node, field + "-data", where)) {
      auto decoded = base64_decode(*data);
      if (!decoded) fail(where + field + "-data is not valid base64");
      return *decoded;
    }
    if (auto path = scalar(node, field, where)) {
      auto text = read_file(resolve(*path));
      if (!text) fail(where + field + " " + resolve(*path).string() + " cannot be read");
      return *text;
    }
    return {};
  }

  void require_pem(const std::string& pem, const std::string& label, const std::string& field,
                   const std::string& where) const {
    if (!pem.empty() && pem.find("-----BEGIN " + label) == std::string::npos &&
        !(label == "KEY" && pem.find("PRIVATE KEY-----") != std::string::npos)) {
      fail(where + field + " is not a PEM " + (label == "KEY" ? "private key" : "certificate"));
    }
  }

  KubeConfig parse(const std::string& yaml) const {
    YAML::Node root;
    try {
      root = YAML::Load(yaml);
    } catch (const YAML::Exception& e) {
      fail("not valid YAML: " + std::string(e.what()));
    }
    if (!root.IsMap()) fail("is not a YAML map");

    auto context_name = scalar(root, "current-context", "");
    if (!context_name || context_name->empty()) fail("current-context is not set");
    const std::string ctx_where = "context \"" + *context_name + "\" ";
    YAML::Node context = find_named(root, "contexts", *context_name, "context");
    if (!context) fail("current-context \"" + *context_name + "\" is not in contexts");

    auto cluster_name = scalar(context, "cluster", ctx_where);
    if (!cluster_name || cluster_name->empty()) fail(ctx_where + "has no cluster");
    YAML::Node cluster = find_named(root, "clusters", *cluster_name, "cluster");
    if (!cluster)
      fail(ctx_where + "names cluster \"" + *cluster_name + "\" which is not in clusters");

    KubeConfig config;
    const std::string cl_where = "cluster \"" + *cluster_name + "\": ";
    auto server = scalar(cluster, "server", cl_where);
    if (!server || server->empty()) fail(cl_where + "server is not set");
    if (server->rfind("https://", 0) != 0 && server->rfind("http://", 0) != 0)
      fail(cl_where + "server \"" + *server + "\" is not an http(s) URL");
    config.server = *server;
    while (config.server.size() > 1 && config.server.back() == '/') config.server.pop_back();
    config.ca_pem = file_or_data(cluster, "certificate-authority", cl_where);
    require_pem(config.ca_pem, "CERTIFICATE", "certificate-authority", cl_where);
    config.insecure_skip_tls_verify = boolean(cluster, "insecure-skip-tls-verify", cl_where);

    auto user_name = scalar(context, "user", ctx_where);
    if (user_name && !user_name->empty()) {
      YAML::Node user = find_named(root, "users", *user_name, "user");
      if (!user) fail(ctx_where + "names user \"" + *user_name + "\" which is not in users");
      const std::string us_where = "user \"" + *user_name + "\": ";
      if (user["exec"]) fail(us_where + "exec credential plugins are not supported");
      if (user["auth-provider"]) fail(us_where + "auth-provider is not supported");
      config.client_cert_pem = file_or_data(user, "client-certificate", us_where);
      config.client_key_pem = file_or_data(user, "client-key", us_where);
      if (config.client_cert_pem.empty() != config.client_key_pem.empty())
        fail(us_where + (config.client_cert_pem.empty() ? "client-key without client-certificate"
                                                        : "client-certificate without client-key"));
      require_pem(config.client_cert_pem, "CERTIFICATE", "client-certificate", us_where);
      require_pem(config.client_key_pem, "KEY", "client-key", us_where);
      if (auto token = scalar(user, "token", us_where)) config.token = *token;
      if (auto token_file = scalar(user, "tokenFile", us_where)) {
        config.token_file = resolve(*token_file);
        if (!fs::exists(config.token_file))
          fail(us_where + "tokenFile " + config.token_file.string() + " does not exist");
      }
    }
    config.namespace_ = scalar(context, "namespace", ctx_where).value_or("");
    if (config.namespace_.empty()) config.namespace_ = "default";
    return config;
  }

 private:
  std::string origin_;
  fs::path base_dir_;
};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

KubeConfig load_kubeconfig_string(const std::string& yaml, const std::filesystem::path& base_dir) {
  return Parser("<inline>", base_dir).parse(yaml);
}

KubeConfig load_kubeconfig_file(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) throw ConfigError("kubeconfig " + path.string() + ": cannot be read");
  return Parser(path.string(), path.parent_path()).parse(*text);
}

KubeConfig load_in_cluster(const std::filesystem::path& sa_dir) {
  const std::string host = env("KUBERNETES_SERVICE_HOST");
  const std::string port = env("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty())
    throw ConfigError(
        "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  KubeConfig config;
  // An IPv6 service address needs brackets in a URL.
  config.server =
      "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  auto ca = read_file(sa_dir / "ca.crt");
  if (!ca) throw ConfigError("in-cluster: " + (sa_dir / "ca.crt").string() + " cannot be read");
  config.ca_pem = *ca;
  config.token_file = sa_dir / "token";
  if (!fs::exists(config.token_file))
    throw ConfigError("in-cluster: " + config.token_file.string() + " does not exist");
  auto ns = read_file(sa_dir / "namespace").value_or("");
  while (!ns.empty() && (ns.back() == '\n' || ns.back() == ' ')) ns.pop_back();
  config.namespace_ = ns.empty() ? "default" : ns;
  return config;
}

KubeConfig resolve_kube_config(const std::optional<std::string>& kubeconfig_flag) {
  if (kubeconfig_flag && !kubeconfig_flag->empty()) return load_kubeconfig_file(*kubeconfig_flag);
  if (std::string list = env("KUBECONFIG"); !list.empty()) {
    // KUBECONFIG may list several files; the first one that exists is used (no merging).
    std::stringstream entries(list);
    std::string entry;
    while (std::getline(entries, entry, ':'))
      if (!entry.empty() && fs::exists(entry)) return load_kubeconfig_file(entry);
    throw ConfigError("KUBECONFIG=" + list + ": no such file");
  }
  if (!env("KUBERNETES_SERVICE_HOST").empty()) return load_in_cluster();
  if (std::string home = env("HOME"); !home.empty()) {
    fs::path fallback = fs::path(home) / ".kube" / "config";
    if (fs::exists(fallback)) return load_kubeconfig_file(fallback);
  }
  throw ConfigError(
      "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, run in a pod, or "
      "create ~/.kube/config");
}

}  // namespace nfsprov::kube

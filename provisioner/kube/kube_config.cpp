#include "provisioner/kube/kube_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "provisioner/config/host_port.h"
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

[[noreturn]] void fail_in(const std::string& origin, const std::string& what) {
  throw ConfigError(origin + ": " + what);
}

// One kubeconfig document and what its errors and relative paths need: the file (or
// "<inline>") it came from and that file's directory.
class Parser {
 public:
  Parser(std::string origin, fs::path base_dir, const std::string& yaml)
      : origin_("kubeconfig " + std::move(origin)), base_dir_(std::move(base_dir)) {
    try {
      root_ = YAML::Load(yaml);
    } catch (const YAML::Exception& e) {
      fail("not valid YAML: " + std::string(e.what()));
    }
    if (!root_.IsMap()) fail("is not a YAML map");
  }

  const std::string& origin() const { return origin_; }

  [[noreturn]] void fail(const std::string& what) const { fail_in(origin_, what); }

  // A scalar field, or nullopt when absent; anything but a scalar is an error naming it.
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& key,
                                    const std::string& where) const {
    const YAML::Node value = node[key];
    if (!value || value.IsNull()) return std::nullopt;
    if (!value.IsScalar()) fail(where + key + " is not a string");
    return value.Scalar();
  }

  std::optional<std::string> top_level(const std::string& key) const {
    return scalar(root_, key, "");
  }

  bool boolean(const YAML::Node& node, const std::string& key, const std::string& where) const {
    auto text = scalar(node, key, where);
    if (!text) return false;
    if (*text == "true" || *text == "True" || *text == "TRUE") return true;
    if (*text == "false" || *text == "False" || *text == "FALSE") return false;
    fail(where + key + " is not a boolean: \"" + *text + "\"");
  }

  // The entry of a named list (clusters/users/contexts) with this name, or an undefined node.
  YAML::Node find_named(const std::string& list, const std::string& name,
                        const std::string& inner) const {
    const YAML::Node entries = root_[list];
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

  // The port of an http(s) server URL, checked here so that a bad one is an error naming the
  // field when the kubeconfig is loaded (main exits 2), not a bare "stoi" from the client.
  // The authority is split as ApiClient splits it: up to the first '/', a bracketed IPv6
  // host, else the port after the last ':'. No port: the scheme's default.
  void check_server_port(const std::string& server, const std::string& where) const {
    std::string_view authority = server;
    authority.remove_prefix(authority.find("://") + 3);
    authority = authority.substr(0, authority.find('/'));
    std::optional<std::string_view> port;
    if (authority.starts_with('[')) {
      const auto close = authority.find(']');
      if (close == std::string_view::npos)
        fail(where + "server \"" + server + "\" has no ']' after its IPv6 address");
      const std::string_view after = authority.substr(close + 1);
      if (!after.empty() && after.front() != ':')
        fail(where + "server \"" + server + "\" has text after its IPv6 address");
      if (!after.empty()) port = after.substr(1);
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
    if (!port) return;
    // Port 0 parses but cannot be connected to.
    if (auto number = config::parse_port(*port); !number || *number == 0)
      fail(where + "server \"" + server + "\" has an invalid port \"" + std::string(*port) +
           "\" (want 1 to 65535)");
  }

 private:
  std::string origin_;  // "kubeconfig <path>"
  fs::path base_dir_;
  YAML::Node root_;
};

// A cluster, user or context entry and the file it came from (its errors name that file,
// its relative paths resolve against that file's directory).
struct Found {
  YAML::Node body;
  const Parser* file = nullptr;
};

Found find_named(const std::vector<Parser>& files, const std::string& list, const std::string& name,
                 const std::string& inner) {
  for (const auto& file : files)
    if (YAML::Node body = file.find_named(list, name, inner)) return {body, &file};
  return {};
}

// kubectl's merge of several files (one file is the same with nothing to merge): the first file
// that sets current-context wins, and the first file that defines a cluster, user or context
// of a name gives the whole entry; later files' fields for that name are not mixed in.
// origin names the set in errors that no single file is to blame for.
KubeConfig merge(const std::vector<Parser>& files, const std::string& origin) {
  std::optional<std::string> context_name;
  for (const auto& file : files) {
    context_name = file.top_level("current-context");
    if (context_name && !context_name->empty()) break;
  }
  if (!context_name || context_name->empty()) fail_in(origin, "current-context is not set");
  const std::string ctx_where = "context \"" + *context_name + "\" ";
  const auto [context, ctx_file] = find_named(files, "contexts", *context_name, "context");
  if (!ctx_file) fail_in(origin, "current-context \"" + *context_name + "\" is not in contexts");

  auto cluster_name = ctx_file->scalar(context, "cluster", ctx_where);
  if (!cluster_name || cluster_name->empty()) ctx_file->fail(ctx_where + "has no cluster");
  const auto [cluster, cl_file] = find_named(files, "clusters", *cluster_name, "cluster");
  if (!cl_file)
    fail_in(origin, ctx_where + "names cluster \"" + *cluster_name + "\" which is not in clusters");

  KubeConfig config;
  const std::string cl_where = "cluster \"" + *cluster_name + "\": ";
  auto server = cl_file->scalar(cluster, "server", cl_where);
  if (!server || server->empty()) cl_file->fail(cl_where + "server is not set");
  if (server->rfind("https://", 0) != 0 && server->rfind("http://", 0) != 0)
    cl_file->fail(cl_where + "server \"" + *server + "\" is not an http(s) URL");
  cl_file->check_server_port(*server, cl_where);
  config.server = *server;
  while (config.server.size() > 1 && config.server.back() == '/') config.server.pop_back();
  config.ca_pem = cl_file->file_or_data(cluster, "certificate-authority", cl_where);
  cl_file->require_pem(config.ca_pem, "CERTIFICATE", "certificate-authority", cl_where);
  config.insecure_skip_tls_verify = cl_file->boolean(cluster, "insecure-skip-tls-verify", cl_where);

  auto user_name = ctx_file->scalar(context, "user", ctx_where);
  if (user_name && !user_name->empty()) {
    const auto [user, us_file] = find_named(files, "users", *user_name, "user");
    if (!us_file)
      fail_in(origin, ctx_where + "names user \"" + *user_name + "\" which is not in users");
    const std::string us_where = "user \"" + *user_name + "\": ";
    if (user["exec"]) us_file->fail(us_where + "exec credential plugins are not supported");
    if (user["auth-provider"]) us_file->fail(us_where + "auth-provider is not supported");
    config.client_cert_pem = us_file->file_or_data(user, "client-certificate", us_where);
    config.client_key_pem = us_file->file_or_data(user, "client-key", us_where);
    if (config.client_cert_pem.empty() != config.client_key_pem.empty())
      us_file->fail(us_where + (config.client_cert_pem.empty()
                                    ? "client-key without client-certificate"
                                    : "client-certificate without client-key"));
    us_file->require_pem(config.client_cert_pem, "CERTIFICATE", "client-certificate", us_where);
    us_file->require_pem(config.client_key_pem, "KEY", "client-key", us_where);
    if (auto token = us_file->scalar(user, "token", us_where)) config.token = *token;
    if (auto token_file = us_file->scalar(user, "tokenFile", us_where)) {
      config.token_file = us_file->resolve(*token_file);
      if (!fs::exists(config.token_file))
        us_file->fail(us_where + "tokenFile " + config.token_file.string() + " does not exist");
    }
  }
  config.namespace_ = ctx_file->scalar(context, "namespace", ctx_where).value_or("");
  if (config.namespace_.empty()) config.namespace_ = "default";
  return config;
}

Parser parse_file(const fs::path& path) {
  auto text = read_file(path);
  if (!text) throw ConfigError("kubeconfig " + path.string() + ": cannot be read");
  return Parser(path.string(), path.parent_path(), *text);
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

KubeConfig load_kubeconfig_string(const std::string& yaml, const std::filesystem::path& base_dir) {
  std::vector<Parser> files;
  files.emplace_back("<inline>", base_dir, yaml);
  return merge(files, files.front().origin());
}

KubeConfig load_kubeconfig_file(const std::filesystem::path& path) {
  std::vector<Parser> files;
  files.push_back(parse_file(path));
  return merge(files, files.front().origin());
}

KubeConfig load_kubeconfig_list(const std::string& list) {
  // As kubectl: empty entries ("a::b", "a:") and files that do not exist are skipped; a file
  // that exists but cannot be read or parsed is an error. exists() failing for another reason
  // (EACCES on a directory) sets the error code: reading it then says "cannot be read".
  std::vector<Parser> files;
  std::stringstream entries(list);
  for (std::string entry; std::getline(entries, entry, ':');) {
    std::error_code not_missing;
    if (!entry.empty() && (fs::exists(entry, not_missing) || not_missing))
      files.push_back(parse_file(entry));
  }
  const std::string origin = "KUBECONFIG=\"" + list + "\"";
  if (files.empty()) fail_in(origin, "no file it lists exists");
  return merge(files, files.size() == 1 ? files.front().origin() : origin);
}

KubeConfig load_in_cluster(const std::filesystem::path& sa_dir) {
  const std::string host = env("KUBERNETES_SERVICE_HOST");
  const std::string port = env("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty())
    throw ConfigError(
        "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  // It becomes the server URL's port: the same check as a kubeconfig's server.
  if (auto number = config::parse_port(port); !number || *number == 0)
    throw ConfigError("in-cluster: KUBERNETES_SERVICE_PORT \"" + port +
                      "\" is not a port (want 1 to 65535)");
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
  if (std::string list = env("KUBECONFIG"); !list.empty()) return load_kubeconfig_list(list);
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

#include "test/apiserver/api_server.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "test/apiserver/selector.h"
#include "test/apiserver/status_error.h"
#include "test/apiserver/table.h"

namespace nfsprov::testing::apiserver {

using nlohmann::json;

namespace {

constexpr const char* kJson = "application/json";

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/'))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

void send(httplib::Response& res, int code, const json& body) {
  res.status = code;
  res.set_content(body.dump(), kJson);
}

void send_error(httplib::Response& res, const StatusError& e) {
  send(res, e.code(), e.to_status());
  if (e.code() == 429) res.set_header("Retry-After", "1");
}

std::string read_token(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

// Every boolean query parameter (watch, allowWatchBookmarks), read as kube-apiserver reads
// it (apimachinery's runtime.Convert_Slice_string_To_bool, first value wins): absent, "0" or
// "false" in any case is false, and anything else is true, even "", "f" or "yes". It never
// answers 400: a real v1.36 server takes ?watch=yes, ?watch=f and ?watch= as watches.
bool query_bool(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name)) return false;
  std::string value = req.get_param_value(name);
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value != "0" && value != "false";
}

// The write options' dryRun list (from the query, or from a DELETE's body): whether it asks
// for a dry run. "All" is the only value the real server knows; any other, even "" or
// "all", is 422 Invalid naming the options kind, as its ValidateDryRun answers.
WriteMode dry_run_mode(const std::vector<std::string>& values, const std::string& options_kind) {
  for (const auto& v : values) {
    if (v != "All") {
      throw StatusError(422, "Invalid",
                        options_kind + ".meta.k8s.io \"\" is invalid: dryRun: Unsupported value: " +
                            json(values).dump() + ": supported values: \"All\"");
    }
  }
  return values.empty() ? WriteMode::commit : WriteMode::dry_run;
}

std::vector<std::string> query_values(const httplib::Request& req, const std::string& name) {
  std::vector<std::string> values;
  for (std::size_t i = 0; i < req.get_param_value_count(name); ++i)
    values.push_back(req.get_param_value(name, i));
  return values;
}

// Which resource a path names: /api/v1/... or /apis/<group>/<version>/...
struct Target {
  const ResourceType* type = nullptr;
  std::string ns;
  std::string name;
  std::string subresource;
};

std::optional<Target> parse_target(const std::vector<std::string>& parts, json& audit) {
  std::string group, version;
  std::size_t i;
  if (parts.size() >= 3 && parts[0] == "api") {
    version = parts[1];
    i = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  Target t;
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    const auto* inner = find_resource(group, version, rest[2]);
    if (inner && inner->namespaced) {
      t.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  audit["apiGroup"] = group;
  audit["resource"] = rest[0];
  audit["namespace"] = t.ns;
  t.type = find_resource(group, version, rest[0]);
  if (rest.size() > 1) t.name = rest[1];
  if (rest.size() > 2) t.subresource = rest[2];
  audit["name"] = t.name;
  audit["subresource"] = t.subresource;
  if (!t.type || rest.size() > 3 || (!t.subresource.empty() && t.subresource != "status")) {
    throw StatusError(404, "NotFound", "the server could not find the requested resource");
  }
  if (t.type->namespaced && t.ns.empty() && !t.name.empty()) {
    throw StatusError(404, "NotFound", "the server could not find the requested resource");
  }
  return t;
}

// limit and continue, as the real server pages a list; the token is the last key a page held.
// Unlike the real server, whose later pages show the first page's snapshot, a later page here
// shows the objects as they are when it is asked for.
void page_list(json& list, const std::string& limit_text, const std::string& token) {
  const int limit = limit_text.empty() ? 0 : std::atoi(limit_text.c_str());
  if (limit <= 0 && token.empty()) return;
  json page = json::array();
  std::string last;
  for (auto& item : list["items"]) {
    const auto& meta = item["metadata"];
    const std::string ns = meta.value("namespace", "");
    const std::string key = ns.empty() ? meta.value("name", "") : ns + "/" + meta.value("name", "");
    if (!token.empty() && key <= token) continue;
    if (limit > 0 && page.size() == static_cast<std::size_t>(limit)) {
      list["metadata"]["continue"] = last;
      break;
    }
    last = key;
    page.push_back(std::move(item));
  }
  list["items"] = std::move(page);
}

json watch_event(const std::string& type, const json& object) {
  return {{"type", type}, {"object", object}};
}

}  // namespace

ApiServer::ApiServer(ServerConfig config)
    : config_(std::move(config)),
      store_(config_.history),
      operations_(store_),
      controllers_(store_, operations_),
      audit_(config_.audit_log),
      http_(config_.cert.c_str(), config_.key.c_str()) {
  if (!http_.is_valid()) throw std::runtime_error("cannot load the TLS certificate or key");
  std::size_t threads = config_.threads;
  // httplib takes ownership of the queue through this raw-pointer factory (its API, not ours).
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_.set_keep_alive_max_count(1000);
  http_.set_keep_alive_timeout(30);
  // Small answers on a kept-alive connection otherwise wait out Nagle + delayed ACK (~40 ms
  // per call), which alone would make a burst of 1000 claims take a minute.
  http_.set_tcp_nodelay(true);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  http_.Get(".*", handler);
  http_.Post(".*", handler);
  http_.Put(".*", handler);
  http_.Patch(".*", handler);
  http_.Delete(".*", handler);
}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::restore(const json& state) {
  auto lock = store_.lock();
  store_.restore(state);
  // The binder's volume index and the phases it keeps are derived from the objects: rebuild
  // them from what was loaded, as the real PV controller resyncs everything when it starts.
  if (config_.controllers) controllers_.resync();
}

void ApiServer::seed() {
  auto lock = store_.lock();
  operations_.create_builtin_namespaces();
  store_.take_changes();
}

int ApiServer::bind(int port) {
  if (port == 0) {
    port_ = http_.bind_to_any_port("127.0.0.1");
  } else {
    port_ = http_.bind_to_port("127.0.0.1", port) ? port : -1;
  }
  if (port_ <= 0) throw std::runtime_error("cannot bind 127.0.0.1:" + std::to_string(port));
  return port_;
}

void ApiServer::listen() {
  http_.listen_after_bind();
}

void ApiServer::stop() {
  stopping_ = true;
  {
    auto lock = store_.lock();
    store_.wake_watchers();
  }
  http_.stop();
}

bool ApiServer::authorized(const httplib::Request& req) const {
  std::string expected = read_token(config_.token_file);
  return !expected.empty() && req.get_header_value("Authorization") == "Bearer " + expected;
}

void ApiServer::handle(const httplib::Request& req, httplib::Response& res) {
  json audit = {{"verb", ""},
                {"apiGroup", ""},
                {"resource", ""},
                {"subresource", ""},
                {"namespace", ""},
                {"name", ""},
                {"path", req.path},
                {"method", req.method},
                {"userAgent", req.get_header_value("User-Agent")}};
  try {
    if (!authorized(req)) {
      throw StatusError(401, "Unauthorized", "Unauthorized");
    }
    if (req.path.starts_with("/_test/")) {
      if (req.path == "/_test/faults" && req.method == "POST") {
        faults_.apply(json::parse(req.body));
        if (json::parse(req.body).value("drop_watches", false)) {
          auto lock = store_.lock();
          store_.wake_watchers();
        }
        send(res, 200, {{"applied", json::parse(req.body)}});
      } else if (req.path == "/_test/state" && req.method == "GET") {
        auto lock = store_.lock();
        send(res, 200, {{"resourceVersion", std::to_string(store_.resource_version())}});
      } else {
        throw StatusError(404, "NotFound", "unknown admin endpoint " + req.path);
      }
      return;  // admin calls stay out of the audit log
    }
    if (auto delay = faults_.latency(); delay.count() > 0) std::this_thread::sleep_for(delay);
    if (auto failure = faults_.take_failure(req.method, req.path)) {
      std::string reason = failure->status == 429   ? "TooManyRequests"
                           : failure->status == 503 ? "ServiceUnavailable"
                                                    : "InternalError";
      send(res, failure->status, failure_status(failure->status, reason, "injected fault"));
      if (failure->retry_after > 0)
        res.set_header("Retry-After", std::to_string(failure->retry_after));
    } else {
      serve_api(req, res, audit);
    }
  } catch (const StatusError& e) {
    send_error(res, e);
  } catch (const json::exception& e) {
    send_error(res, StatusError(400, "BadRequest", std::string("invalid JSON: ") + e.what()));
  } catch (const std::exception& e) {
    send_error(res, StatusError(500, "InternalError", e.what()));
  }
  audit["code"] = res.status;
  audit_.write(audit);
}

void ApiServer::serve_api(const httplib::Request& req, httplib::Response& res, json& audit) {
  auto parts = split_path(req.path);
  const std::string& m = req.method;
  audit["verb"] = m == "GET"      ? "get"
                  : m == "POST"   ? "create"
                  : m == "PUT"    ? "update"
                  : m == "PATCH"  ? "patch"
                  : m == "DELETE" ? "delete"
                                  : m;
  if (m == "GET") {
    if (req.path == "/version" || req.path == "/version/")
      return send(res, 200, version_document());
    if (req.path == "/api" || req.path == "/api/")
      return send(res, 200, core_versions_document("127.0.0.1:" + std::to_string(port_)));
    if (req.path == "/apis" || req.path == "/apis/") return send(res, 200, group_list_document());
    if (parts.size() == 2 && parts[0] == "api") {
      if (auto doc = resource_list_document("", parts[1])) return send(res, 200, *doc);
    }
    if (parts.size() == 3 && parts[0] == "apis") {
      if (auto doc = resource_list_document(parts[1], parts[2])) return send(res, 200, *doc);
    }
    if (req.path == "/openapi/v3") return send(res, 200, openapi_root_document());
    if (req.path.starts_with("/openapi/v3/")) {
      if (auto doc = openapi_group_version_document(req.path.substr(12)))
        return send(res, 200, *doc);
    }
    if (req.path == "/healthz" || req.path == "/readyz" || req.path == "/livez") {
      res.set_content("ok", "text/plain");
      return;
    }
  }
  auto target = parse_target(parts, audit);
  if (!target)
    throw StatusError(404, "NotFound", "the server could not find the requested resource");
  const ResourceType& type = *target->type;
  const std::string& ns = target->ns;
  const std::string& name = target->name;
  bool status = target->subresource == "status";

  if (m == "GET" && name.empty()) {
    Selector labels = Selector::parse_labels(req.get_param_value("labelSelector"));
    Selector fields = Selector::parse_fields(req.get_param_value("fieldSelector"));
    if (query_bool(req, "watch")) {
      audit["verb"] = "watch";
      audit["code"] = 200;
      return serve_watch(type, ns, req, res);
    }
    audit["verb"] = "list";
    json list;
    {
      auto lock = store_.lock();
      list = operations_.list(type, ns, labels, fields);
    }
    page_list(list, req.get_param_value("limit"), req.get_param_value("continue"));
    if (wants_table(req.get_header_value("Accept"))) {
      std::vector<json> items(list["items"].begin(), list["items"].end());
      return send(res, 200, to_table(type, items, list["metadata"]["resourceVersion"]));
    }
    return send(res, 200, list);
  }
  if (name.empty() && m != "POST") {
    throw StatusError(405, "MethodNotAllowed",
                      "the server does not allow this method on the requested resource");
  }
  if (!name.empty() && m == "POST") {
    throw StatusError(405, "MethodNotAllowed",
                      "the server does not allow this method on the requested resource");
  }
  // Writes take dryRun from the query, except a DELETE with a body: the real server then
  // reads its DeleteOptions from the body alone. Checked before anything else, as there.
  WriteMode mode = WriteMode::commit;
  json delete_options = json::object();
  if (m == "POST") mode = dry_run_mode(query_values(req, "dryRun"), "CreateOptions");
  if (m == "PUT") mode = dry_run_mode(query_values(req, "dryRun"), "UpdateOptions");
  if (m == "PATCH") mode = dry_run_mode(query_values(req, "dryRun"), "PatchOptions");
  if (m == "DELETE") {
    std::vector<std::string> dry_run = query_values(req, "dryRun");
    if (!req.body.empty()) {
      delete_options = json::parse(req.body);
      if (!delete_options.is_object()) {
        throw StatusError(400, "BadRequest", "the body must be a DeleteOptions object");
      }
      dry_run = delete_options.value("dryRun", std::vector<std::string>{});
    }
    mode = dry_run_mode(dry_run, "DeleteOptions");
  }
  auto lock = store_.lock();
  json result;
  int code = 200;
  if (m == "GET") {
    result = operations_.get(type, ns, name);
    if (wants_table(req.get_header_value("Accept"))) {
      return send(res, 200, to_table(type, {result}, result["metadata"]["resourceVersion"]));
    }
  } else if (m == "POST") {
    result = operations_.create(type, ns, json::parse(req.body), mode);
    code = 201;
  } else if (m == "PUT") {
    result = operations_.update(type, ns, name, json::parse(req.body), status, mode);
  } else if (m == "PATCH") {
    result = operations_.patch(type, ns, name, req.get_header_value("Content-Type"), req.body,
                               status, mode);
  } else if (m == "DELETE") {
    result = operations_.remove(type, ns, name, delete_options, mode);
  }
  if (config_.controllers) {
    controllers_.reconcile();
  } else {
    store_.take_changes();
  }
  send(res, code, result);
}

void ApiServer::serve_watch(const ResourceType& type, const std::string& ns,
                            const httplib::Request& req, httplib::Response& res) {
  struct WatchParams {
    const ResourceType* type;
    std::string ns;
    Selector labels;
    Selector fields;
    std::string resource_version;
    bool bookmarks;
    bool table;
    std::chrono::steady_clock::time_point deadline;
  };
  auto params = std::make_shared<WatchParams>();
  params->type = &type;
  params->ns = ns;
  params->labels = Selector::parse_labels(req.get_param_value("labelSelector"));
  params->fields = Selector::parse_fields(req.get_param_value("fieldSelector"));
  params->resource_version = req.get_param_value("resourceVersion");
  params->bookmarks = query_bool(req, "allowWatchBookmarks");
  params->table = wants_table(req.get_header_value("Accept"));
  auto timeout = config_.max_watch;
  if (req.has_param("timeoutSeconds")) {
    timeout =
        std::min(timeout, std::chrono::seconds(std::stol(req.get_param_value("timeoutSeconds"))));
  }
  params->deadline = std::chrono::steady_clock::now() + timeout;
  if (!params->resource_version.empty() && params->resource_version != "0") {
    try {
      std::stoull(params->resource_version);
    } catch (const std::exception&) {
      throw StatusError(400, "BadRequest", "invalid resource version: " + params->resource_version);
    }
  }
  bool expire = faults_.take_expire_next_watch();
  std::uint64_t drop_generation = faults_.drop_generation();

  res.status = 200;
  // Not plain "application/json": httplib would gzip the stream, and the deflate buffer would
  // hold small events back until the watch ends.
  res.set_chunked_content_provider(
      "application/json;stream=watch",
      [this, params, expire, drop_generation](std::size_t, httplib::DataSink& sink) {
        auto render = [&](const std::string& type_name, const json& object) {
          json body = object;
          if (params->table && type_name != "ERROR" && type_name != "BOOKMARK") {
            body =
                to_table(*params->type, {object}, object["metadata"].value("resourceVersion", ""));
          }
          return watch_event(type_name, body).dump() + "\n";
        };
        auto matches = [&](const json& o) {
          if (params->type->namespaced && !params->ns.empty() &&
              o["metadata"].value("namespace", "") != params->ns)
            return false;
          return params->labels.matches(o) && params->fields.matches(o);
        };
        std::string out;
        std::uint64_t last = 0;
        auto lock = store_.lock();
        const std::string& rv = params->resource_version;
        if (expire || (!rv.empty() && rv != "0" && store_.too_old(std::stoull(rv)))) {
          lock.unlock();
          std::string message = "too old resource version: " + (rv.empty() ? "0" : rv) + " (" +
                                std::to_string(store_.resource_version()) + ")";
          out = render("ERROR", failure_status(410, "Expired", message));
          sink.write(out.data(), out.size());
          sink.done();
          return true;
        }
        if (rv.empty() || rv == "0") {
          for (const json* o : store_.list(*params->type, params->ns)) {
            if (matches(*o)) out += render("ADDED", *o);
          }
          last = store_.resource_version();
        } else {
          last = std::stoull(rv);
        }
        auto next_bookmark = std::chrono::steady_clock::now() + config_.bookmark_interval;
        while (true) {
          for (const auto& e : store_.events_after(last)) {
            last = e.resource_version;
            if (e.resource != params->type) continue;
            bool now_matches = matches(*e.object);
            bool was_matching = e.previous && matches(*e.previous);
            if (e.type == "DELETED") {
              if (was_matching) out += render("DELETED", *e.object);
            } else if (now_matches) {
              out += render(was_matching || !e.previous ? e.type : "ADDED", *e.object);
            } else if (was_matching) {
              out += render("DELETED", *e.object);  // it no longer matches the selector
            }
          }
          auto now = std::chrono::steady_clock::now();
          if (params->bookmarks && now >= next_bookmark) {
            json bookmark = {{"kind", params->type->kind},
                             {"apiVersion", params->type->api_version()},
                             {"metadata", {{"resourceVersion", std::to_string(last)}}}};
            out += render("BOOKMARK", bookmark);
            next_bookmark = now + config_.bookmark_interval;
          }
          if (!out.empty()) {
            lock.unlock();
            bool ok = sink.write(out.data(), out.size());
            out.clear();
            lock.lock();
            if (!ok) return false;
          }
          if (stopping_ || now >= params->deadline || faults_.drop_generation() != drop_generation)
            break;
          auto wake = std::min({params->deadline, now + std::chrono::milliseconds(500),
                                params->bookmarks ? next_bookmark : params->deadline});
          if (store_.resource_version() <= last) store_.wait_until(lock, wake);
        }
        lock.unlock();
        if (faults_.drop_generation() != drop_generation) return false;  // cut, not a clean end
        sink.done();
        return true;
      });
}

}  // namespace nfsprov::testing::apiserver

#include "test/cluster/fault_proxy.h"

#include <httplib.h>

#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "test/apiserver/faults.h"

namespace nfsprov::testing {
namespace {

bool is_watch(const httplib::Request& req) {
  if (!req.has_param("watch")) return false;
  const std::string v = req.get_param_value("watch");
  return v == "1" || v == "true";
}

std::string status_body(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json{{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
                        {"message", message}, {"reason", reason},   {"code", code}}
      .dump();
}

// Only what describes the request itself goes upstream; hop-by-hop headers stay here.
httplib::Headers forwarded_headers(const httplib::Request& req) {
  httplib::Headers out;
  for (const auto& [k, v] : req.headers) {
    std::string lower = k;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "authorization" || lower == "accept" || lower == "user-agent" ||
        lower == "content-type")
      out.emplace(k, v);
  }
  return out;
}

}  // namespace

struct FaultProxy::Impl {
  std::filesystem::path ca;
  int upstream_port;
  httplib::SSLServer server;
  apiserver::Faults faults;
  // The upstream halves of the watches streaming now: a cut (or the proxy's end) stops them
  // at once, instead of when the next event or bookmark arrives (about a minute).
  std::mutex watches_mutex;
  std::set<httplib::SSLClient*> watches;
  bool closing = false;

  void cut_watches(bool for_good) {
    std::lock_guard lock(watches_mutex);
    closing = closing || for_good;
    for (auto* watch : watches) watch->stop();
  }

  Impl(const KubeCluster& cluster)
      : ca(cluster.dir() / "pki" / "ca.crt"),
        upstream_port(cluster.api_port()),
        server((cluster.dir() / "pki" / "apiserver.crt").c_str(),
               (cluster.dir() / "pki" / "apiserver.key").c_str()) {}

  std::unique_ptr<httplib::SSLClient> upstream() const {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", upstream_port);
    client->set_ca_cert_path(ca.c_str());
    client->enable_server_certificate_verification(true);
    client->set_read_timeout(600, 0);
    client->set_keep_alive(false);
    return client;
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    if (auto latency = faults.latency(); latency.count() > 0) std::this_thread::sleep_for(latency);
    if (faults.wait_while_held(req.method, req.path)) {
      res.status = 503;
      res.set_content(status_body(503, "ServiceUnavailable", "held by the test's fault proxy"),
                      "application/json");
      return;
    }
    if (auto failure = faults.take_failure(req.method, req.path)) {
      if (failure->retry_after > 0)
        res.set_header("Retry-After", std::to_string(failure->retry_after));
      res.status = failure->status;
      res.set_content(status_body(failure->status,
                                  failure->status == 429 ? "TooManyRequests" : "ServiceUnavailable",
                                  "injected by the test's fault proxy"),
                      "application/json");
      return;
    }
    if (is_watch(req)) return watch(req, res);
    auto client = upstream();
    auto headers = forwarded_headers(req);
    httplib::Result result{nullptr, httplib::Error::Unknown};
    const std::string content_type = req.get_header_value("Content-Type");
    if (req.method == "GET")
      result = client->Get(req.target, headers);
    else if (req.method == "POST")
      result = client->Post(req.target, headers, req.body, content_type);
    else if (req.method == "PUT")
      result = client->Put(req.target, headers, req.body, content_type);
    else if (req.method == "PATCH")
      result = client->Patch(req.target, headers, req.body, content_type);
    else if (req.method == "DELETE")
      result = client->Delete(req.target, headers, req.body, content_type);
    if (!result) {
      res.status = 502;
      res.set_content(status_body(502, "BadGateway",
                                  "fault proxy: upstream " + httplib::to_string(result.error())),
                      "application/json");
      return;
    }
    res.status = result->status;
    for (const auto& [k, v] : result->headers)
      if (k == "Retry-After" || k == "Audit-Id" || k == "Warning") res.set_header(k, v);
    res.set_content(result->body, result->get_header_value("Content-Type"));
  }

  // A watch streams through until it ends upstream, or the test cuts it.
  void watch(const httplib::Request& req, httplib::Response& res) {
    if (faults.take_expire_next_watch()) {
      res.status = 200;
      res.set_content(
          nlohmann::json{{"type", "ERROR"},
                         {"object", nlohmann::json::parse(status_body(
                                        410, "Expired", "too old resource version (proxy)"))}}
                  .dump() +
              "\n",
          "application/json");
      return;
    }
    const auto generation = faults.drop_generation();
    const std::string target = req.target;
    const auto headers = forwarded_headers(req);
    res.status = 200;
    res.set_chunked_content_provider(
        "application/json", [this, target, headers, generation](size_t, httplib::DataSink& sink) {
          auto client = upstream();
          {
            std::lock_guard lock(watches_mutex);
            if (closing || faults.drop_generation() != generation) {
              sink.done();
              return true;
            }
            watches.insert(client.get());
          }
          client->Get(target, headers, [&](const char* data, size_t length) {
            if (faults.drop_generation() != generation) return false;
            return sink.write(data, length);
          });
          {
            std::lock_guard lock(watches_mutex);
            watches.erase(client.get());
          }
          sink.done();
          return true;
        });
  }
};

FaultProxy::FaultProxy(const KubeCluster& cluster, Options options)
    : impl_(std::make_unique<Impl>(cluster)) {
  auto& server = impl_->server;
  if (!server.is_valid()) throw std::runtime_error("fault proxy: cannot load the TLS certificate");
  // Each open connection holds a server thread (a watch for minutes, an idle keep-alive
  // connection until the idle timeout): the default pool of 8 would queue the rest.
  // httplib takes ownership of the queue it is handed.
  server.new_task_queue = [] { return std::make_unique<httplib::ThreadPool>(64).release(); };
  server.set_keep_alive_timeout(options.idle_timeout.count());
  server.set_read_timeout(options.idle_timeout.count(), 0);
  const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    impl_->handle(req, res);
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Patch(".*", handler);
  server.Delete(".*", handler);
  port_ = server.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("fault proxy: cannot listen on 127.0.0.1");
  thread_ = std::jthread([this] { impl_->server.listen_after_bind(); });
  // stop() before the listener runs would be lost: wait until it runs.
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FaultProxy::~FaultProxy() {
  impl_->faults.apply({{"clear", true}});  // held requests answered: their threads end
  impl_->cut_watches(true);
  impl_->server.stop();
}

void FaultProxy::inject(const nlohmann::json& fault) {
  impl_->faults.apply(fault);
  if (fault.value("drop_watches", false)) impl_->cut_watches(false);
}

std::size_t FaultProxy::held() const {
  return impl_->faults.held_count();
}

std::filesystem::path FaultProxy::kubeconfig_for(const std::filesystem::path& base) const {
  std::ifstream in(base);
  std::stringstream text;
  text << in.rdbuf();
  const std::string rewritten =
      std::regex_replace(text.str(), std::regex("server: https://127\\.0\\.0\\.1:[0-9]+"),
                         "server: https://127.0.0.1:" + std::to_string(port_));
  auto out = base;
  out.replace_filename(base.stem().string() + "-via-proxy-" + std::to_string(port_) +
                       ".kubeconfig");
  std::ofstream(out) << rewritten;
  std::filesystem::permissions(
      out, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return out;
}

}  // namespace nfsprov::testing

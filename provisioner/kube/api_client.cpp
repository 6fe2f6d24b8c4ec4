#include "provisioner/kube/api_client.h"

#include <algorithm>
#include <csignal>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

#include "provisioner/base/host_port.h"
#include "provisioner/base/json_fields.h"
#include "provisioner/base/sleep.h"
#include "provisioner/kube/line_splitter.h"
#include "provisioner/kube/rate_limiter.h"
#include "provisioner/kube/status_error.h"
#include "provisioner/kube/tls_material.h"
#include "provisioner/kube/token_source.h"

#ifndef NP_VERSION
#define NP_VERSION "dev"
#endif

namespace nfsprov::kube {
namespace {

using namespace std::chrono_literals;

struct ServerAddress {
  bool tls = true;
  std::string host;
  int port = 443;
  std::string path_prefix;
};

// The kubeconfig loader has checked the port already; this is the same rule, not a second one.
int port_of(const std::string& url, std::string_view text) {
  const auto port = base::parse_port(text);
  if (!port || *port == 0)
    throw ConfigError("server \"" + url + "\" has an invalid port \"" + std::string(text) + "\"");
  return *port;
}

ServerAddress parse_server(const std::string& url) {
  ServerAddress a;
  std::string_view rest = url;
  if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    a.tls = false;
    a.port = 80;
    rest.remove_prefix(7);
  } else {
    throw ConfigError("server \"" + url + "\" is not an http(s) URL");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) a.path_prefix = std::string(rest.substr(slash));
  while (!a.path_prefix.empty() && a.path_prefix.back() == '/') a.path_prefix.pop_back();
  base::Authority split;
  try {
    split = base::split_authority(authority);
  } catch (const std::invalid_argument& e) {
    throw ConfigError("server \"" + url + "\" " + e.what());
  }
  if (split.port) a.port = port_of(url, *split.port);
  a.host = std::string(split.host);
  return a;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void add_query(std::string& path, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += key;
  path += '=';
  path += url_encode(value);
}

// Which failures a call may repeat without changing what the caller sees.
enum class Retry { safe, create, unsafe };

}  // namespace

struct ApiClient::Impl {
  KubeConfig config;
  ClientOptions options;
  ServerAddress address;
  RateLimiter limiter;
  TokenSource tokens;
  std::string user_agent = "nfs-provisioner/" NP_VERSION;
  X509Ptr client_cert;
  EvpPkeyPtr client_key;

  std::mutex pool_mutex;
  std::vector<std::unique_ptr<httplib::ClientImpl>> idle;

  Impl(KubeConfig c, ClientOptions o)
      : config(std::move(c)),
        options(std::move(o)),
        address(parse_server(config.server)),
        limiter(options.qps, options.burst),
        tokens(config.token, config.token_file) {
    // OpenSSL writes to sockets without MSG_NOSIGNAL: a peer that hung up (a cut watch, a
    // restarted server) would otherwise kill the whole process with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    if (!config.client_cert_pem.empty()) {
      client_cert = parse_certificate(config.client_cert_pem);
      client_key = parse_private_key(config.client_key_pem);
    }
    if (!config.ca_pem.empty()) make_ca_store(config.ca_pem);  // fail at start, not per call
  }

  std::unique_ptr<httplib::ClientImpl> make_client(std::chrono::milliseconds read_timeout) {
    std::unique_ptr<httplib::ClientImpl> client;
    if (address.tls) {
      std::unique_ptr<httplib::SSLClient> ssl;
      if (client_cert)
        ssl = std::make_unique<httplib::SSLClient>(address.host, address.port, client_cert.get(),
                                                   client_key.get());
      else
        ssl = std::make_unique<httplib::SSLClient>(address.host, address.port);
      if (config.insecure_skip_tls_verify) {
        ssl->enable_server_certificate_verification(false);
      } else {
        ssl->enable_server_certificate_verification(true);
        if (!config.ca_pem.empty()) {
          // SSLClient takes ownership of the store.
          ssl->set_ca_cert_store(make_ca_store(config.ca_pem).release());
          // Without a CA path httplib calls SSL_CTX_set_default_verify_paths, which loads the
          // whole system bundle into our store: every public CA would then be trusted for the
          // API server too, and each pooled connection would hold its own parsed copy (about
          // 0.5 MB). A lookup directory with no certificates in it keeps the store ours alone.
          ssl->set_ca_cert_path("", "/nonexistent/nfs-provisioner-no-system-cas");
        }
      }
      // Idle kept-alive connections give their 2 x 17 KB TLS buffers back.
      SSL_CTX_set_mode(ssl->ssl_context(), SSL_MODE_RELEASE_BUFFERS);
      client = std::move(ssl);
    } else {
      client = std::make_unique<httplib::ClientImpl>(address.host, address.port);
    }
    client->set_keep_alive(true);
    // Headers and body go out in separate writes: Nagle plus delayed ACK would add 40 ms.
    client->set_tcp_nodelay(true);
    client->set_connection_timeout(std::min<std::chrono::milliseconds>(read_timeout, 10s));
    client->set_read_timeout(read_timeout);
    client->set_write_timeout(options.request_timeout);
    client->set_decompress(true);
    return client;
  }

  // A pooled (kept-alive) connection when there is one; *reused tells which it was.
  std::unique_ptr<httplib::ClientImpl> take_client(bool* reused) {
    {
      std::lock_guard lock(pool_mutex);
      if (!idle.empty()) {
        auto client = std::move(idle.back());
        idle.pop_back();
        *reused = true;
        return client;
      }
    }
    *reused = false;
    return make_client(options.request_timeout);
  }

  // kube-apiserver closes keep-alive connections idle for about 90 s. Over TLS the close
  // arrives as data, so httplib's liveness peek passes and the request then fails with a
  // read (or write) error, though the server never saw it. Like Go's net/http, such a
  // request is sent again at once on a fresh connection; the other idle connections are
  // as old, so they go too.
  bool stale_connection(bool reused, httplib::Error error) {
    if (!reused || (error != httplib::Error::Read && error != httplib::Error::Write)) return false;
    std::lock_guard lock(pool_mutex);
    idle.clear();
    return true;
  }

  void close_idle(std::size_t keep) {
    std::vector<std::unique_ptr<httplib::ClientImpl>> closing;
    {
      std::lock_guard lock(pool_mutex);
      // The longest idle first: the pool hands out its back.
      const auto count = idle.size() > keep ? idle.size() - keep : 0;
      closing.assign(std::make_move_iterator(idle.begin()),
                     std::make_move_iterator(idle.begin() + static_cast<std::ptrdiff_t>(count)));
      idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(count));
    }
    // TLS shutdowns outside the lock.
  }

  void give_back(std::unique_ptr<httplib::ClientImpl> client) {
    std::lock_guard lock(pool_mutex);
    if (idle.size() < 16) idle.push_back(std::move(client));
  }

  httplib::Headers headers(const std::string& content_type) {
    httplib::Headers h{{"Accept", "application/json"}, {"User-Agent", user_agent}};
    if (std::string token = tokens.current(); !token.empty())
      h.emplace("Authorization", "Bearer " + token);
    if (!content_type.empty()) h.emplace("Content-Type", content_type);
    return h;
  }

  ApiError transport_error(const std::string& what, httplib::Error error,
                           const httplib::ClientImpl& client) {
    std::string text = what + ": " + httplib::to_string(error);
    if (error == httplib::Error::SSLServerVerification) {
      if (auto* ssl = dynamic_cast<const httplib::SSLClient*>(&client))
        text += ": TLS certificate verification failed: " +
                verify_error_text(ssl->get_openssl_verify_result());
    } else if (error == httplib::Error::SSLConnection) {
      text += ": TLS handshake failed";
    }
    auto kind = (error == httplib::Error::Read || error == httplib::Error::ConnectionTimeout)
                    ? ApiErrorKind::timeout
                    : ApiErrorKind::transport;
    return ApiError(kind, 0, "", text);
  }

  // What a call ends with once options.stop is requested.
  static ApiError cancelled(const std::string& what) {
    return ApiError(ApiErrorKind::cancelled, 0, "", what + ": cancelled (the client is stopping)");
  }

  // hook, when given, sees the answer as it is parsed (nlohmann's parser callback).
  nlohmann::json call(const std::string& method, const std::string& api_path,
                      const std::string& body = {}, const std::string& content_type = {},
                      Retry retry = Retry::safe,
                      const nlohmann::json::parser_callback_t& hook = nullptr) {
    const std::string path = address.path_prefix + api_path;
    const std::string what = method + " " + api_path;
    int attempts = 0;
    bool token_reloaded = false;
    bool resent_on_fresh_connection = false;
    auto backoff = 100ms;
    const std::stop_token& stop = options.stop;
    for (;;) {
      if (!limiter.acquire(stop)) throw cancelled(what);
      bool reused = false;
      auto client = take_client(&reused);
      httplib::Request req;
      req.method = method;
      req.path = path;
      req.headers = headers(content_type);
      req.body = body;
      // A stop shuts the request's socket down from the stopping thread. One asked before send()
      // has the socket in use cannot reach it (httplib's stop() only ends a request in
      // flight): the check before send narrows that window to microseconds, and the answer's
      // headers end such a request (as a watch's are).
      req.response_handler = [&stop](const httplib::Response&) { return !stop.stop_requested(); };
      auto result = [&] {
        const std::stop_callback on_stop(stop, [&client] { client->stop(); });
        if (stop.stop_requested()) return httplib::Result{nullptr, httplib::Error::Canceled};
        return client->send(req);
      }();
      std::optional<ApiError> error;
      if (!result && stop.stop_requested()) throw cancelled(what);
      if (!result) {
        error = transport_error(what, result.error(), *client);
        client.reset();  // a broken connection is not pooled
        // A PUT without resourceVersion is not sent twice: it might have been applied.
        if (!resent_on_fresh_connection && retry != Retry::unsafe &&
            stale_connection(reused, result.error())) {
          resent_on_fresh_connection = true;
          continue;
        }
      } else {
        give_back(std::move(client));
        const int status = result->status;
        if (status >= 200 && status < 300) {
          if (result->body.empty()) return nlohmann::json::object();
          auto parsed = nlohmann::json::parse(result->body, hook, false);
          if (parsed.is_discarded())
            throw ApiError(ApiErrorKind::other, status, "", what + ": answer is not JSON");
          return parsed;
        }
        error = error_from_response(what, status, result->body,
                                    result->get_header_value("Retry-After"));
        if (error->kind() == ApiErrorKind::forbidden && options.on_forbidden)
          options.on_forbidden(*error);
      }
      if (error->kind() == ApiErrorKind::unauthorized && tokens.has_file() && !token_reloaded) {
        token_reloaded = true;
        tokens.reload();
        continue;
      }
      const bool may_retry =
          error->kind() == ApiErrorKind::too_many_requests ||
          (error->retryable() && retry != Retry::unsafe && error->kind() != ApiErrorKind::timeout);
      if (!may_retry || attempts >= options.max_retries) throw *error;
      ++attempts;
      std::chrono::milliseconds wait = backoff;
      if (error->retry_after()) wait = *error->retry_after();
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 2s);
      if (!base::sleep_for(stop, wait)) throw cancelled(what);
    }
  }
};

ApiClient::ApiClient(KubeConfig config, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options))) {}

ApiClient::~ApiClient() = default;

void ApiClient::close_idle_connections(std::size_t keep) {
  impl_->close_idle(keep);
}

nlohmann::json ApiClient::get(const Resource& r, std::string_view ns, std::string_view name) {
  return impl_->call("GET", r.object_path(ns, name));
}

namespace {

std::string list_path(const Resource& r, std::string_view ns, const ListOptions& o) {
  std::string path = r.collection_path(ns);
  add_query(path, "labelSelector", o.label_selector);
  add_query(path, "fieldSelector", o.field_selector);
  add_query(path, "resourceVersion", o.resource_version);
  if (o.limit > 0) add_query(path, "limit", std::to_string(o.limit));
  add_query(path, "continue", o.continue_token);
  return path;
}

}  // namespace

nlohmann::json ApiClient::list(const Resource& r, std::string_view ns, const ListOptions& o) {
  return impl_->call("GET", list_path(r, ns, o));
}

nlohmann::json ApiClient::list_items(const Resource& r, std::string_view ns, const ListOptions& o,
                                     const std::function<void(nlohmann::json&& item)>& on_item) {
  using Event = nlohmann::json::parse_event_t;
  // The answer is {"metadata": {...}, "items": [{...}, ...]}: each item is at depth 2 of the
  // top-level "items" key. Handed over as soon as its closing brace is read, then dropped
  // from the answer, so no more than one item's tree is ever built.
  bool in_items = false;
  const nlohmann::json::parser_callback_t hook = [&](int depth, Event event,
                                                     nlohmann::json& parsed) {
    if (event == Event::key && depth == 1) in_items = parsed == "items";
    if (event == Event::object_end && depth == 2 && in_items) {
      on_item(std::move(parsed));
      return false;
    }
    return true;
  };
  nlohmann::json rest = impl_->call("GET", list_path(r, ns, o), {}, {}, Retry::safe, hook);
  if (rest.is_object()) rest.erase("items");  // emptied by the hook
  return rest;
}

nlohmann::json ApiClient::create(const Resource& r, std::string_view ns,
                                 const nlohmann::json& object) {
  // A create retried after a lost answer may meet its own first attempt: the caller then
  // sees AlreadyExists and decides (the object may or may not be ours).
  return impl_->call("POST", r.collection_path(ns), object.dump(), "application/json",
                     Retry::create);
}

nlohmann::json ApiClient::update(const Resource& r, const nlohmann::json& object) {
  const bool has_rv = !base::metadata_field(object, "resourceVersion").empty();
  return impl_->call("PUT",
                     r.object_path(base::metadata_field(object, "namespace"),
                                   base::metadata_field(object, "name")),
                     object.dump(), "application/json", has_rv ? Retry::safe : Retry::unsafe);
}

nlohmann::json ApiClient::merge_patch(const Resource& r, std::string_view ns, std::string_view name,
                                      const nlohmann::json& patch) {
  // A merge patch applied twice gives the same object: safe to repeat.
  return impl_->call("PATCH", r.object_path(ns, name), patch.dump(), "application/merge-patch+json",
                     Retry::safe);
}

nlohmann::json ApiClient::merge_patch_status(const Resource& r, std::string_view ns,
                                             std::string_view name, const nlohmann::json& patch) {
  return impl_->call("PATCH", r.object_path(ns, name) + "/status", patch.dump(),
                     "application/merge-patch+json", Retry::safe);
}

void ApiClient::remove(const Resource& r, std::string_view ns, std::string_view name,
                       std::optional<std::string> uid_precondition) {
  std::string body;
  if (uid_precondition) {
    body = nlohmann::json{{"kind", "DeleteOptions"},
                          {"apiVersion", "v1"},
                          {"preconditions", {{"uid", *uid_precondition}}}}
               .dump();
  }
  impl_->call("DELETE", r.object_path(ns, name), body, body.empty() ? "" : "application/json");
}

nlohmann::json ApiClient::get_path(const std::string& path) {
  return impl_->call("GET", path);
}

void ApiClient::watch(const Resource& r, std::string_view ns, const WatchOptions& o,
                      const std::function<bool(const nlohmann::json& event)>& on_event,
                      std::stop_token stop) {
  std::string api_path = r.collection_path(ns) + "?watch=1";
  add_query(api_path, "resourceVersion", o.resource_version);
  if (o.allow_bookmarks) api_path += "&allowWatchBookmarks=true";
  api_path += "&timeoutSeconds=" + std::to_string(o.timeout_seconds);
  add_query(api_path, "labelSelector", o.label_selector);
  add_query(api_path, "fieldSelector", o.field_selector);
  const std::string what = "WATCH " + r.collection_path(ns);

  if (!impl_->limiter.acquire(stop)) return;
  // A watch holds its connection for minutes: never a pooled one.
  auto client = impl_->make_client(std::chrono::seconds(o.timeout_seconds) + 30s);
  int status = 0;
  std::string retry_after;
  std::string error_body;
  std::optional<ApiError> stream_error;
  std::exception_ptr handler_failure;
  LineSplitter splitter;

  httplib::Request req;
  req.method = "GET";
  req.path = impl_->address.path_prefix + api_path;
  req.headers = impl_->headers("");
  req.response_handler = [&](const httplib::Response& res) {
    status = res.status;
    retry_after = res.get_header_value("Retry-After");
    // A stop asked before send() had its socket in use could not shut it down (httplib's
    // stop() only reaches a request in flight): it ends the request here, once the server
    // has answered.
    return !stop.stop_requested();
  };
  req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    if (stop.stop_requested()) return false;
    if (status != 200) {
      if (error_body.size() < 65536) error_body.append(data, size);
      return true;
    }
    return splitter.feed({data, size}, [&](std::string_view line) {
      auto event = nlohmann::json::parse(line, nullptr, false);
      if (event.is_discarded() || !event.is_object()) {
        stream_error = ApiError(ApiErrorKind::other, status, "", what + ": bad event line");
        return false;
      }
      if (event.value("type", "") == "ERROR") {
        stream_error = error_from_status(what, event.value("object", nlohmann::json::object()));
        return false;
      }
      try {
        return on_event(event) && !stop.stop_requested();
      } catch (...) {
        handler_failure = std::current_exception();
        return false;
      }
    });
  };

  // The stream can sit idle for minutes: a stop shuts its socket down from the stopping thread.
  auto result = [&] {
    std::stop_callback on_stop(stop, [&client] { client->stop(); });
    return client->send(req);
  }();

  if (handler_failure) std::rethrow_exception(handler_failure);
  if (stop.stop_requested()) return;
  if (stream_error) throw *stream_error;
  if (status != 0 && status != 200) {
    if (status == 401 && impl_->tokens.has_file()) impl_->tokens.reload();
    ApiError error = error_from_response(what, status, error_body, retry_after);
    if (error.kind() == ApiErrorKind::forbidden && impl_->options.on_forbidden)
      impl_->options.on_forbidden(error);
    throw error;
  }
  if (!result && result.error() != httplib::Error::Canceled) {
    if (status == 200) return;  // the stream broke after it started: the caller resumes
    throw impl_->transport_error(what, result.error(), *client);
  }
}

}  // namespace nfsprov::kube

#include "test/apiserver/resource_operations.h"

#include <chrono>
#include <ctime>
#include <random>

#include "test/apiserver/status_error.h"

namespace nfsprov::testing::apiserver {

using nlohmann::json;

namespace {

std::string random_chars(std::size_t n, const std::string& alphabet) {
  std::random_device rd;
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += alphabet[pick(rd)];
  return out;
}

std::string new_uid() {
  std::string hex = random_chars(32, "0123456789abcdef");
  hex[12] = '4';                          // version 4 (random), as the real server's uids
  hex[16] = "89ab"[(hex[16] - '0') & 3];  // RFC 4122 variant bits 10xx
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string describe(const ResourceType& type, const std::string& name) {
  std::string qualified = type.group.empty() ? type.plural : type.plural + "." + type.group;
  return qualified + " \"" + name + "\"";
}

StatusError not_found(const ResourceType& type, const std::string& name) {
  return StatusError(404, "NotFound", describe(type, name) + " not found");
}

StatusError conflict(const ResourceType& type, const std::string& name) {
  return StatusError(409, "Conflict",
                     "Operation cannot be fulfilled on " + describe(type, name) +
                         ": the object has been modified; please apply your changes to the "
                         "latest version and try again");
}

void apply_create_defaults(const ResourceType& type, json& obj, const ObjectStore& store) {
  auto& spec = obj["spec"];
  if (type.plural == "namespaces") {
    obj["status"] = {{"phase", "Active"}};
    if (!spec.contains("finalizers")) spec["finalizers"] = {"kubernetes"};
  } else if (type.plural == "persistentvolumeclaims") {
    if (!spec.contains("volumeMode")) spec["volumeMode"] = "Filesystem";
    obj["status"] = {{"phase", "Pending"}};
    auto annotations = obj["metadata"].value("annotations", json::object());
    if (!spec.contains("storageClassName") &&
        !annotations.contains("volume.beta.kubernetes.io/storage-class")) {
      // The DefaultStorageClass admission plugin.
      const auto* classes = find_resource_by_plural("storageclasses");
      for (const auto* sc : store.list(*classes, "")) {
        auto a = (*sc)["metadata"].value("annotations", json::object());
        if (a.value("storageclass.kubernetes.io/is-default-class", "") == "true") {
          spec["storageClassName"] = (*sc)["metadata"]["name"];
        }
      }
    }
  } else if (type.plural == "persistentvolumes") {
    if (!spec.contains("persistentVolumeReclaimPolicy"))
      spec["persistentVolumeReclaimPolicy"] = "Retain";
    if (!spec.contains("volumeMode")) spec["volumeMode"] = "Filesystem";
    obj["status"] = {{"phase", "Pending"}};
  } else if (type.plural == "storageclasses") {
    if (!obj.contains("reclaimPolicy")) obj["reclaimPolicy"] = "Delete";
    if (!obj.contains("volumeBindingMode")) obj["volumeBindingMode"] = "Immediate";
  }
  if (obj.contains("spec") && obj["spec"].is_null()) obj.erase("spec");
}

// kubectl's strategic merge patches carry directives ("$setElementOrder/x", "$patch",
// "$retainKeys"); as a merge patch they must not land in the object.
void strip_directives(json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (!it.key().empty() && it.key()[0] == '$') {
        it = j.erase(it);
      } else {
        strip_directives(it.value());
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) strip_directives(e);
  }
}

json parse_body(const std::string& body) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    throw StatusError(400, "BadRequest", std::string("invalid JSON body: ") + e.what());
  }
}

}  // namespace

std::string now_rfc3339() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void ResourceOperations::create_builtin_namespaces() {
  const auto& ns = *find_resource_by_plural("namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    if (!store_.find(ns, "", name)) {
      create(ns, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
    }
  }
}

const json& ResourceOperations::existing(const ResourceType& type, const std::string& ns,
                                         const std::string& name) const {
  const json* obj = store_.find(type, ns, name);
  if (!obj) throw not_found(type, name);
  return *obj;
}

json ResourceOperations::insert(const ResourceType& type, json obj, WriteMode mode) {
  if (mode == WriteMode::dry_run) return obj;
  return store_.insert(type, std::move(obj));
}

json ResourceOperations::replace(const ResourceType& type, json obj, WriteMode mode) {
  if (mode == WriteMode::dry_run) return obj;
  return store_.replace(type, std::move(obj));
}

json ResourceOperations::erase(const ResourceType& type, const std::string& ns,
                               const std::string& name, WriteMode mode) {
  if (mode == WriteMode::dry_run) return existing(type, ns, name);
  return store_.erase(type, ns, name);
}

json ResourceOperations::get(const ResourceType& type, const std::string& ns,
                             const std::string& name) const {
  return existing(type, ns, name);
}

json ResourceOperations::list(const ResourceType& type, const std::string& ns,
                              const Selector& labels, const Selector& fields) const {
  json items = json::array();
  for (const json* obj : store_.list(type, ns)) {
    if (!labels.matches(*obj) || !fields.matches(*obj)) continue;
    json item = *obj;
    // A typed list's items carry no kind/apiVersion on the real server.
    item.erase("kind");
    item.erase("apiVersion");
    items.push_back(std::move(item));
  }
  return {{"kind", type.kind + "List"},
          {"apiVersion", type.api_version()},
          {"metadata", {{"resourceVersion", std::to_string(store_.resource_version())}}},
          {"items", std::move(items)}};
}

json ResourceOperations::create(const ResourceType& type, const std::string& ns, json body,
                                WriteMode mode) {
  if (!body.is_object()) throw StatusError(400, "BadRequest", "the body must be an object");
  auto& meta = body["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (type.namespaced) {
    std::string body_ns = meta.value("namespace", "");
    if (!body_ns.empty() && body_ns != ns) {
      throw StatusError(400, "BadRequest",
                        "the namespace of the provided object does not match the namespace "
                        "sent on the request");
    }
    meta["namespace"] = ns;
    if (!store_.find(*find_resource_by_plural("namespaces"), "", ns)) {
      throw StatusError(404, "NotFound", "namespaces \"" + ns + "\" not found");
    }
  } else {
    meta.erase("namespace");
  }
  std::string name = meta.value("name", "");
  if (name.empty()) {
    std::string prefix = meta.value("generateName", "");
    if (prefix.empty()) {
      throw StatusError(422, "Invalid",
                        type.kind +
                            " \"\" is invalid: metadata.name: Required value: name or "
                            "generateName is required");
    }
    do {
      name = prefix + random_chars(5, "bcdfghjklmnpqrstvwxz2456789");
    } while (store_.find(type, ns, name));
    meta["name"] = name;
  }
  if (store_.find(type, ns, name)) {
    auto err = StatusError(409, "AlreadyExists", describe(type, name) + " already exists");
    throw err;
  }
  body["kind"] = type.kind;
  body["apiVersion"] = type.api_version();
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = now_rfc3339();
  meta.erase("resourceVersion");
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  if (!type.plural.empty() && type.plural != "events" && type.plural != "leases" &&
      type.plural != "storageclasses")
    meta["generation"] = 1;
  apply_create_defaults(type, body, store_);
  return insert(type, std::move(body), mode);
}

json ResourceOperations::update(const ResourceType& type, const std::string& ns,
                                const std::string& name, json body, bool status_subresource,
                                WriteMode mode) {
  const json& old = existing(type, ns, name);
  if (!body.is_object() || !body["metadata"].is_object()) {
    throw StatusError(400, "BadRequest", "the body must be an object with metadata");
  }
  auto& meta = body["metadata"];
  if (meta.value("name", "") != name) {
    throw StatusError(400, "BadRequest",
                      "the name of the object (" + meta.value("name", "") +
                          ") does not match the name on the URL (" + name + ")");
  }
  if (type.namespaced && !meta.value("namespace", "").empty() && meta["namespace"] != ns) {
    throw StatusError(400, "BadRequest",
                      "the namespace of the provided object does not match the namespace sent "
                      "on the request");
  }
  std::string rv = meta.value("resourceVersion", "");
  if (!rv.empty() && rv != old["metadata"]["resourceVersion"]) throw conflict(type, name);

  json next;
  if (status_subresource) {
    next = old;
    if (body.contains("status")) {
      next["status"] = body["status"];
    } else {
      next.erase("status");
    }
  } else {
    next = std::move(body);
    if (type.has_status) {
      if (old.contains("status")) {
        next["status"] = old["status"];
      } else {
        next.erase("status");
      }
    }
    auto& nm = next["metadata"];
    const auto& om = old["metadata"];
    for (const char* kept : {"uid", "creationTimestamp", "deletionTimestamp",
                             "deletionGracePeriodSeconds", "namespace", "generation"}) {
      if (om.contains(kept)) {
        nm[kept] = om[kept];
      } else {
        nm.erase(kept);
      }
    }
    if (next.contains("spec") && old.contains("spec") && next["spec"] != old["spec"] &&
        om.contains("generation")) {
      nm["generation"] = om["generation"].get<std::int64_t>() + 1;
    }
  }
  next["kind"] = type.kind;
  next["apiVersion"] = type.api_version();
  next["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"];
  if (next == old) return old;  // a no-op write does not bump the resourceVersion

  bool finalizers_empty =
      !next["metadata"].contains("finalizers") || next["metadata"]["finalizers"].empty();
  if (next["metadata"].contains("finalizers") && next["metadata"]["finalizers"].empty()) {
    next["metadata"].erase("finalizers");
  }
  if (old["metadata"].contains("deletionTimestamp") && finalizers_empty) {
    // The last finalizer went: the object is deleted, which a dry run only reports.
    if (mode == WriteMode::dry_run) return next;
    store_.replace(type, std::move(next));
    return store_.erase(type, ns, name);
  }
  return replace(type, std::move(next), mode);
}

json ResourceOperations::patch(const ResourceType& type, const std::string& ns,
                               const std::string& name, const std::string& content_type,
                               const std::string& body, bool status_subresource, WriteMode mode) {
  json target = existing(type, ns, name);
  json patch = parse_body(body);
  if (content_type.starts_with("application/json-patch+json")) {
    try {
      target = target.patch(patch);
    } catch (const json::exception& e) {
      throw StatusError(422, "Invalid", std::string("the JSON patch failed: ") + e.what());
    }
  } else if (content_type.starts_with("application/merge-patch+json") ||
             content_type.starts_with("application/strategic-merge-patch+json")) {
    if (!patch.is_object()) throw StatusError(400, "BadRequest", "a merge patch must be an object");
    target.merge_patch(patch);
    strip_directives(target);
  } else {
    throw StatusError(415, "UnsupportedMediaType",
                      "the body of the request was in an unknown format - accepted media types "
                      "include: application/json-patch+json, application/merge-patch+json, "
                      "application/strategic-merge-patch+json");
  }
  if (!target.is_object() || !target["metadata"].is_object()) {
    throw StatusError(422, "Invalid", "the patch removed the object's metadata");
  }
  return update(type, ns, name, std::move(target), status_subresource, mode);
}

json ResourceOperations::remove(const ResourceType& type, const std::string& ns,
                                const std::string& name, const json& options, WriteMode mode) {
  const json& old = existing(type, ns, name);
  if (options.is_object() && options.contains("preconditions")) {
    const auto& pre = options["preconditions"];
    if (pre.contains("uid") && pre["uid"].is_string() && pre["uid"] != old["metadata"]["uid"]) {
      throw StatusError(
          409, "Conflict",
          "Precondition failed: UID in precondition: " + pre["uid"].get<std::string>() +
              ", UID in object meta: " + old["metadata"]["uid"].get<std::string>());
    }
    if (pre.contains("resourceVersion") && pre["resourceVersion"].is_string() &&
        pre["resourceVersion"] != old["metadata"]["resourceVersion"]) {
      throw StatusError(409, "Conflict",
                        "Precondition failed: ResourceVersion in precondition: " +
                            pre["resourceVersion"].get<std::string>() +
                            ", ResourceVersion in object meta: " +
                            old["metadata"]["resourceVersion"].get<std::string>());
    }
  }
  const auto& finalizers = old["metadata"].value("finalizers", json::array());
  if (!finalizers.empty()) {
    if (old["metadata"].contains("deletionTimestamp")) return old;
    json next = old;
    next["metadata"]["deletionTimestamp"] = now_rfc3339();
    next["metadata"]["deletionGracePeriodSeconds"] = 0;
    return replace(type, std::move(next), mode);
  }
  // A dry run leaves the namespace's contents alone too.
  if (type.plural == "namespaces" && mode == WriteMode::commit) {
    // What the namespace controller would do: empty the namespace first.
    for (const auto& t : resource_types()) {
      if (!t.namespaced) continue;
      std::vector<std::string> names;
      for (const json* o : store_.list(t, name)) names.push_back((*o)["metadata"]["name"]);
      for (const auto& n : names) remove(t, name, n, json::object());
    }
  }
  return erase(type, ns, name, mode);
}

}  // namespace nfsprov::testing::apiserver

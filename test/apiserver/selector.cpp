#include "test/apiserver/selector.h"

#include "test/apiserver/status_error.h"

namespace nfsprov::testing::apiserver {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas that are not inside a "(...)" value set.
std::vector<std::string> split_terms(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') depth++;
    if (c == ')') depth--;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty()) out.push_back(trim(cur));
  return out;
}

std::vector<std::string> split_set(const std::string& inside) {
  std::vector<std::string> values;
  std::string cur;
  for (char c : inside) {
    if (c == ',') {
      values.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  values.push_back(trim(cur));
  return values;
}

const nlohmann::json* field_value(const nlohmann::json& obj, const std::string& path) {
  const nlohmann::json* cur = &obj;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) return nullptr;
    cur = &(*cur)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

}  // namespace

bool Selector::parse_equality(const std::string& term, Requirement& r) {
  // "=" also matches inside "!=" and "==", so the longer tokens are tried first.
  struct Form {
    const char* token;
    Op op;
  };
  for (const Form form :
       {Form{"!=", Op::not_equals}, Form{"==", Op::equals}, Form{"=", Op::equals}}) {
    if (auto at = term.find(form.token); at != std::string::npos) {
      r.key = trim(term.substr(0, at));
      r.op = form.op;
      r.values = {trim(term.substr(at + std::char_traits<char>::length(form.token)))};
      return true;
    }
  }
  return false;
}

Selector Selector::parse_labels(const std::string& text) {
  Selector sel;
  for (const auto& term : split_terms(text)) {
    if (term.empty()) continue;
    Requirement r;
    auto bad = [&] {
      return StatusError(400, "BadRequest",
                         "unable to parse requirement: invalid label selector: " + term);
    };
    if (auto p = term.find(" notin "); p != std::string::npos) {
      r.key = trim(term.substr(0, p));
      r.op = Op::not_in;
      auto rest = trim(term.substr(p + 7));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') throw bad();
      r.values = split_set(rest.substr(1, rest.size() - 2));
    } else if (auto q = term.find(" in "); q != std::string::npos) {
      r.key = trim(term.substr(0, q));
      r.op = Op::in;
      auto rest = trim(term.substr(q + 4));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') throw bad();
      r.values = split_set(rest.substr(1, rest.size() - 2));
    } else if (parse_equality(term, r)) {
      // k=v, k==v, k!=v: filled in by parse_equality
    } else if (term[0] == '!') {
      r.key = trim(term.substr(1));
      r.op = Op::not_exists;
    } else {
      r.key = term;
      r.op = Op::exists;
    }
    if (r.key.empty() || r.key.find_first_of(" ()") != std::string::npos) throw bad();
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

Selector Selector::parse_fields(const std::string& text) {
  Selector sel;
  sel.fields_ = true;
  for (const auto& term : split_terms(text)) {
    if (term.empty()) continue;
    Requirement r;
    if (!parse_equality(term, r)) {
      throw StatusError(400, "BadRequest",
                        "invalid selector: '" + text + "'; can't understand '" + term + "'");
    }
    static const char* const kSupported[] = {"metadata.name",      "metadata.namespace",
                                             "status.phase",       "spec.volumeName",
                                             "spec.claimRef.name", "spec.claimRef.namespace"};
    bool ok = false;
    for (const char* s : kSupported) ok = ok || r.key == s;
    if (!ok) {
      throw StatusError(400, "BadRequest", "field label not supported: " + r.key);
    }
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

bool Selector::matches(const nlohmann::json& object) const {
  for (const auto& r : requirements_) {
    std::optional<std::string> value;
    if (fields_) {
      const auto* v = field_value(object, r.key);
      value = (v && v->is_string()) ? v->get<std::string>() : std::string();
    } else {
      const auto* labels = field_value(object, "metadata.labels");
      if (labels && labels->is_object() && labels->contains(r.key) &&
          (*labels)[r.key].is_string()) {
        value = (*labels)[r.key].get<std::string>();
      }
    }
    auto in_values = [&] {
      for (const auto& v : r.values)
        if (value && *value == v) return true;
      return false;
    };
    switch (r.op) {
      case Op::equals:
      case Op::in:
        if (!in_values()) return false;
        break;
      case Op::not_equals:
      case Op::not_in:
        if (in_values()) return false;
        break;
      case Op::exists:
        if (!value) return false;
        break;
      case Op::not_exists:
        if (value) return false;
        break;
    }
  }
  return true;
}

}  // namespace nfsprov::testing::apiserver

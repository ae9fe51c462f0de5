#include "prometheus_text.h"

#include <cmath>
#include <cstdlib>
#include <regex>
#include <sstream>

namespace anomalens::testing {
namespace {

bool ParseValue(const std::string& text, double* value) {
  if (text == "+Inf") { *value = INFINITY; return true; }
  if (text == "-Inf") { *value = -INFINITY; return true; }
  if (text == "NaN") { *value = NAN; return true; }
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

// The family a sample belongs to: histograms' _bucket, _sum and _count.
std::string FamilyOf(const std::string& name, const std::map<std::string, PromFamily>& families) {
  if (families.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      auto it = families.find(base);
      if (it != families.end() && it->second.type == "histogram") return base;
    }
  }
  return "";
}

}  // namespace

double PromText::Value(const std::string& name, const std::map<std::string, std::string>& labels) const {
  for (const PromSample& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return NAN;
}

bool ParsePromText(const std::string& text, PromText* out, std::string* error) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  auto fail = [&](const std::string& why) {
    *error = "line " + std::to_string(number) + ": " + why + ": " + line;
    return false;
  };
  if (!text.empty() && text.back() != '\n') {
    *error = "the text does not end with a newline";
    return false;
  }
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, keyword, name;
      words >> hash >> keyword >> name;
      if (keyword != "HELP" && keyword != "TYPE") continue;  // a comment
      if (!std::regex_match(name, kName)) return fail("bad metric name");
      std::string rest;
      std::getline(words, rest);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      if (keyword == "TYPE") {
        if (rest != "counter" && rest != "gauge" && rest != "histogram" && rest != "summary" && rest != "untyped") {
          return fail("unknown type");
        }
        if (!out->families[name].type.empty()) return fail("second TYPE line");
        out->families[name].type = rest;
      } else {
        out->families[name].help = rest;
      }
      continue;
    }
    PromSample sample;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    sample.name = line.substr(0, i);
    if (!std::regex_match(sample.name, kName)) return fail("bad metric name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        if (eq == std::string::npos) return fail("label without '='");
        const std::string label = line.substr(i, eq - i);
        if (!std::regex_match(label, kLabelName)) return fail("bad label name '" + label + "'");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') return fail("label value not quoted");
        ++i;
        std::string value;
        for (;; ++i) {
          if (i >= line.size()) return fail("unterminated label value");
          if (line[i] == '"') break;
          if (line[i] == '\\') {
            if (++i >= line.size()) return fail("dangling backslash");
            if (line[i] == 'n') value += '\n';
            else if (line[i] == '\\' || line[i] == '"') value += line[i];
            else return fail("unknown escape");
          } else {
            value += line[i];
          }
        }
        ++i;  // the closing quote
        if (!sample.labels.emplace(label, value).second) return fail("repeated label " + label);
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return fail("unterminated label set");
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') return fail("no value");
    std::string value_text = line.substr(i + 1);
    const size_t space = value_text.find(' ');  // an optional timestamp
    if (space != std::string::npos) value_text = value_text.substr(0, space);
    if (!ParseValue(value_text, &sample.value)) return fail("bad value '" + value_text + "'");
    const std::string family = FamilyOf(sample.name, out->families);
    if (family.empty()) return fail("sample before its family's TYPE");
    out->samples.push_back(std::move(sample));
  }
  return true;
}

}  // namespace anomalens::testing

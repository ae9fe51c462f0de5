#include "native/cli/command_line.h"

#include <cstdio>
#include <cstdlib>

namespace anomalens {

bool CommandLine::Has(const std::string& name) const {
  if (values.count(name)) return true;
  for (const std::string& f : flags)
    if (f == name) return true;
  return false;
}

std::string CommandLine::Get(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

StatusOr<double> CommandLine::GetNumber(const std::string& name, double fallback, double min, double max) const {
  auto it = values.find(name);
  if (it == values.end()) return fallback;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || !(v >= min && v <= max)) {
    return InvalidInput("--" + name + " must be a number from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", got '" + it->second + "'");
  }
  return v;
}

StatusOr<CommandLine> ParseCommandLine(int argc, char** argv, int first, const std::vector<OptionSpec>& specs) {
  CommandLine cl;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      cl.flags.push_back("help");
      continue;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      cl.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs)
      if (name == s.name) spec = &s;
    if (spec == nullptr) return InvalidInput("unknown option --" + name);
    if (!spec->takes_value) {
      if (inline_value) return InvalidInput("--" + name + " takes no value");
      cl.flags.push_back(name);
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc) return InvalidInput("--" + name + " needs a value");
      value = argv[++i];
    }
    if (cl.values.count(name)) return InvalidInput("--" + name + " given more than once");
    cl.values[name] = value;
  }
  return cl;
}

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidInput:
    case StatusCode::kUnsupported:
    case StatusCode::kDataLoss: return kExitBadInput;
    default: return kExitFailure;
  }
}

int ReportError(const char* command, const Status& status) {
  std::fprintf(stderr, "anomalens %s: %s\n", command, status.ToString().c_str());
  return ExitCodeFor(status);
}

}  // namespace anomalens

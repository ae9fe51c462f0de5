// Command-line parsing for the anomalens subcommands: `--name value`,
// `--name=value` and bare flags, checked against each command's known options.
#ifndef ANOMALENS_NATIVE_CLI_COMMAND_LINE_H_
#define ANOMALENS_NATIVE_CLI_COMMAND_LINE_H_

#include <map>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace anomalens {

struct OptionSpec {
  const char* name;  // without the leading dashes
  bool takes_value;
};

struct CommandLine {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // options given with a value
  std::vector<std::string> flags;             // options given without one

  bool Has(const std::string& name) const;
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // Parses an option as a number within [min, max]; a clear error otherwise.
  StatusOr<double> GetNumber(const std::string& name, double fallback, double min, double max) const;
};

// Parses argv[first..argc). `--help` and `-h` are always accepted as flags.
StatusOr<CommandLine> ParseCommandLine(int argc, char** argv, int first, const std::vector<OptionSpec>& specs);

// Exit codes, documented in `anomalens --help`.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

// 2 for the caller's mistakes (usage, invalid or corrupt input), 1 otherwise.
int ExitCodeFor(const Status& status);
// Prints "anomalens COMMAND: <error>" to stderr and returns its exit code.
int ReportError(const char* command, const Status& status);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_CLI_COMMAND_LINE_H_

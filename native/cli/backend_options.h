// The engine's command-line options, read the same way by every command:
//
//   --backend xnnpack|portable   (default xnnpack)
//   --threads N                  (default 0: the cores not already busy)
//   --decoder stb|libjpeg-turbo  JPEG decoder (default: libjpeg-turbo on
//                                xnnpack, stb on portable)
//
// `serve` counts its HTTP workers with --threads, so it reads the compute
// threads from --compute-threads instead (same default).
#ifndef ANOMALENS_NATIVE_CLI_BACKEND_OPTIONS_H_
#define ANOMALENS_NATIVE_CLI_BACKEND_OPTIONS_H_

#include "core/base/status.h"
#include "native/cli/command_line.h"
#include "native/engine/backend.h"

namespace anomalens {

// Reads --backend, --decoder and the thread count (`threads_option`: "threads"; serve,
// whose --threads counts HTTP workers, uses "compute-threads"). A clear error
// names the bad value and the choices.
// `default_threads`: the count without the flag (0: IdleCores()).
StatusOr<BackendOptions> ParseBackendOptions(const CommandLine& cl, const char* threads_option = "threads",
                                             int default_threads = 0);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_CLI_BACKEND_OPTIONS_H_

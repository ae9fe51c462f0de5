#include "native/cli/backend_options.h"

namespace anomalens {

StatusOr<BackendOptions> ParseBackendOptions(const CommandLine& cl, const char* threads_option, int default_threads) {
  BackendOptions options;
  options.backend = cl.Get("backend", "xnnpack");
  if (options.backend != "xnnpack" && options.backend != "portable") {
    return InvalidInput("--backend must be xnnpack or portable, got '" + options.backend + "'");
  }
  options.jpeg_decoder = cl.Get("decoder", "");
  if (cl.Has("decoder") && options.jpeg_decoder != "stb" && options.jpeg_decoder != "libjpeg-turbo") {
    return InvalidInput("--decoder must be stb or libjpeg-turbo, got '" + options.jpeg_decoder + "'");
  }
  if (options.backend == "portable" && options.jpeg_decoder == "libjpeg-turbo") {
    return InvalidInput("--decoder libjpeg-turbo needs --backend xnnpack: the portable engine decodes with stb, as "
                        "wasm does, so that their bytes match");
  }
  options.exact_search = cl.Has("exact-search");  // a switch: "--exact-search=x" is refused by the parser
  ASSIGN_OR_RETURN(double threads, cl.GetNumber(threads_option, default_threads, 0, 256));
  options.threads = static_cast<int>(threads);
  return options;
}

}  // namespace anomalens

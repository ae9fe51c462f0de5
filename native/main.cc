// anomalens: the native command-line tool.
#include <cstdio>
#include <string>

#include "native/cli/command_line.h"
#include "native/cli/commands.h"

namespace {

constexpr const char* kUsage = R"(anomalens: open, offline visual anomaly detection (Lookout for Vision's API)

usage: anomalens COMMAND [options]     (anomalens COMMAND --help for each)

commands:
  train     train a model from a Lookout manifest or an image folder
  detect    print DetectAnomalies results for images
  evaluate  print Lookout's EvaluationResult for a model on a labelled set
  synth     write a small synthetic inspection dataset (PNG images + manifests)
  synth-defects  paste the self-check's synthetic defects into images (PNG + masks + index.csv)
  serve     serve Lookout for Vision's REST API (boto3, the AWS CLI) over a data directory
  service-model  write the service model current SDKs need (botocore's layout)
  sdk-setup      install that model where boto3 and the AWS CLI look (~/.aws/models)

exit codes: 0 ok, 2 bad usage or invalid input, 1 other failures
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return anomalens::kExitBadInput;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return anomalens::kExitOk;
  }
  if (command == "train") return anomalens::RunTrain(argc, argv);
  if (command == "detect") return anomalens::RunDetect(argc, argv);
  if (command == "evaluate") return anomalens::RunEvaluate(argc, argv);
  if (command == "synth") return anomalens::RunSynth(argc, argv);
  if (command == "synth-defects") return anomalens::RunSynthDefects(argc, argv);
  if (command == "serve") return anomalens::RunServe(argc, argv);
  if (command == "service-model") return anomalens::RunServiceModel(argc, argv);
  if (command == "sdk-setup") return anomalens::RunSdkSetup(argc, argv);
  std::fprintf(stderr, "anomalens: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return anomalens::kExitBadInput;
}

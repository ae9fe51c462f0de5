// The anomalens subcommands main() dispatches to: each parses its own
// options (`anomalens COMMAND --help`) and returns the process exit code.
#ifndef ANOMALENS_NATIVE_CLI_COMMANDS_H_
#define ANOMALENS_NATIVE_CLI_COMMANDS_H_

namespace anomalens {

int RunTrain(int argc, char** argv);
int RunDetect(int argc, char** argv);
int RunEvaluate(int argc, char** argv);
int RunSynth(int argc, char** argv);
int RunSynthDefects(int argc, char** argv);
int RunServe(int argc, char** argv);
int RunServiceModel(int argc, char** argv);
int RunSdkSetup(int argc, char** argv);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_CLI_COMMANDS_H_

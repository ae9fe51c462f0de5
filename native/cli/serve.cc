// anomalens serve: the Lookout for Vision REST API over a data directory.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "native/cli/backend_options.h"
#include "native/cli/command_line.h"
#include "native/cli/commands.h"
#include "native/engine/compute_slots.h"
#include "native/engine/thread_pool.h"
#include "native/jobs/model_loader.h"
#include "native/server/lookout_service.h"
#include "native/server/server.h"

namespace anomalens {
namespace {

constexpr const char* kUsage = R"(usage:
  anomalens serve --data-dir DIR [--database postgresql://...] [--host 127.0.0.1] [--port 8080] [--bucket NAME=DIR]...
                  [--credentials FILE | --no-auth] [--region us-east-1]
                  [--access-log FILE|-|none] [--drain-seconds S]

Serves Lookout for Vision's REST API (2020-11-20), so boto3, the AWS CLI and
the SDKs work unchanged with only the endpoint URL changed:

  aws lookoutvision list-projects --endpoint-url http://127.0.0.1:8080

Options:
  --data-dir DIR        where projects, datasets and models are kept (SQLite + model files)
  --database URL        keep projects, datasets and models' records in PostgreSQL instead of SQLite
                        (postgresql://USER@HOST:PORT/DBNAME; the password from PGPASSWORD or
                        ~/.pgpass); model files stay in --data-dir, which replicas share
  --host HOST           address to listen on (default 127.0.0.1)
  --port PORT           port (default 8080; 0 picks a free one, printed on stderr)
  --bucket NAME=DIR     S3 bucket NAME is folder DIR: s3://NAME/KEY is DIR/KEY (repeatable).
                        Manifests, their images and CreateModel's OutputConfig go through it;
                        relative refs in a manifest resolve beside it, then in its parent folder
  --credentials FILE    AWS-style INI file ([profile] aws_access_key_id, aws_secret_access_key);
                        requests must carry a valid Signature Version 4 with one of its keys
  --no-auth             accept unsigned requests (local demos only)
  --region REGION       the region in ARNs and in the scope requests must be signed for (default us-east-1)
  --threads N           HTTP worker threads (default 8)
  --max-concurrent-detects N
                        DetectAnomalies calls run at once; more get ThrottlingException (default: no limit)
  --max-requests-per-second N
                        requests a second over all clients (bursts of up to one second's worth);
                        more get ThrottlingException, which AWS clients retry (default: no limit)
  --access-log FILE     one JSON line per request (time, request id, operation, status, bytes,
                        duration) appended to FILE; "-" stderr (default), "none" off
  --drain-seconds S     on SIGTERM, /readyz answers 503 for S seconds while requests are still
                        served, then the server stops listening and finishes the requests in
                        flight (default 0). Also served: GET /healthz, /readyz, /metrics
                        (Prometheus), unauthenticated; docs/operations.md
  --training-lease-seconds S
                        a training job's lease in the store, renewed every third of it; when a
                        server dies mid-training, its model fails once the lease runs out
                        (default 60; docs/server.md, The training queue)
  --backbone FILE       converted backbone weights (default: found beside the binary)
  --backend xnnpack|portable
                        backbone engine (default xnnpack; portable: the core's own kernels)
  --decoder libjpeg-turbo|stb
                        JPEG decoder (default libjpeg-turbo on xnnpack; stb, the portable
                        engine's, on portable; both give the same pixels)
  --exact-search        detection's nearest-neighbour search exact on xnnpack (default: an
                        approximate one, a distance at most 1.5x the nearest row's, the same
                        results on the measured datasets; training is always exact)
  --compute-threads N   threads of the one pool for the backbone and scoring, shared by all requests
                        (default 0: the cores not already busy when the server starts). A request
                        computing alone runs on it; while several compute, each runs on its own
                        HTTP worker's thread. 1: no pool (docs/server.md, Cores)
  --compute-slots N     DetectAnomalies calls computing at once (default: the available cores);
                        more wait their turn, first come first served. With one slot a CPU, each
                        slot computes on its own CPU
  --no-cpu-pinning      let the scheduler place computing requests on any CPU (for a machine
                        shared with other busy programs; docs/server.md, Cores)
  --allow-normal-only-training
                        CreateModel trains a single dataset with no labelled anomalies (at least
                        20 normal images; the threshold then aims at a 3% false-positive rate on
                        normal images, docs/model.md). Without it CreateModel keeps Lookout's
                        minimum of 20 normal and 10 anomalous images, which its clients expect
  --quick-training      CreateModel trains one model with the default configuration, as
                        `train --quick` does, instead of the configuration search
)";

}  // namespace

int RunServe(int argc, char** argv) {
  // --bucket repeats, which ParseCommandLine's map cannot hold: take them first.
  std::vector<std::string> bucket_specs;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i >= 2 && arg == "--bucket" && i + 1 < argc) {
      bucket_specs.push_back(argv[++i]);
    } else if (i >= 2 && arg.rfind("--bucket=", 0) == 0) {
      bucket_specs.push_back(arg.substr(9));
    } else {
      rest.push_back(argv[i]);
    }
  }
  auto cl = ParseCommandLine(static_cast<int>(rest.size()), rest.data(), 2,
                             {{"data-dir", true}, {"host", true}, {"port", true}, {"credentials", true},
                              {"no-auth", false}, {"region", true}, {"threads", true}, {"backbone", true}, {"backend", true}, {"decoder", true}, {"exact-search", false}, {"compute-threads", true}, {"compute-slots", true}, {"no-cpu-pinning", false},
                              {"max-concurrent-detects", true}, {"max-requests-per-second", true},
                              {"allow-normal-only-training", false}, {"quick-training", false}, {"access-log", true},
                              {"database", true}, {"training-lease-seconds", true}, {"drain-seconds", true}});
  if (!cl.ok()) {
    std::fputs(kUsage, stderr);
    return ReportError("serve", cl.status());
  }
  if (cl->Has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (!cl->Has("data-dir")) {
    std::fputs(kUsage, stderr);
    return ReportError("serve", InvalidInput("--data-dir DIR is required"));
  }
  if (cl->Has("credentials") == cl->Has("no-auth")) {
    std::fputs(kUsage, stderr);
    return ReportError("serve", InvalidInput("give exactly one of --credentials FILE or --no-auth"));
  }
  if (!cl->positional.empty()) return ReportError("serve", InvalidInput("unexpected argument '" + cl->positional[0] + "'"));
  auto port = cl->GetNumber("port", 8080, 0, 65535);
  if (!port.ok()) return ReportError("serve", port.status());
  auto threads = cl->GetNumber("threads", 8, 1, 256);
  if (!threads.ok()) return ReportError("serve", threads.status());

  auto max_detects = cl->GetNumber("max-concurrent-detects", 0, 0, 1 << 20);
  if (!max_detects.ok()) return ReportError("serve", max_detects.status());

  auto max_rate = cl->GetNumber("max-requests-per-second", 0, 0, 1e9);
  if (!max_rate.ok()) return ReportError("serve", max_rate.status());

  auto drain_seconds = cl->GetNumber("drain-seconds", 0, 0, 3600);
  if (!drain_seconds.ok()) return ReportError("serve", drain_seconds.status());
  auto lease_seconds = cl->GetNumber("training-lease-seconds", 60, 1, 3600);
  if (!lease_seconds.ok()) return ReportError("serve", lease_seconds.status());

  ServerOptions server_options;
  server_options.max_requests_per_second = *max_rate;
  server_options.access_log = cl->Get("access-log", "-");
  server_options.drain_seconds = *drain_seconds;
  server_options.host = cl->Get("host", "127.0.0.1");
  server_options.port = static_cast<int>(*port);
  server_options.threads = static_cast<int>(*threads);
  if (cl->Has("credentials")) {
    auto creds = LoadCredentialsFile(cl->Get("credentials"));
    if (!creds.ok()) return ReportError("serve", creds.status());
    server_options.credentials = std::move(creds).value();
    server_options.credentials->region = cl->Get("region", "us-east-1");
  } else {
    std::fprintf(stderr,
                 "anomalens serve: WARNING: --no-auth: requests are not authenticated; anyone who can reach %s "
                 "can read and change every project\n",
                 server_options.host.c_str());
  }
  BucketMap buckets;
  for (const std::string& spec : bucket_specs) {
    const Status added = buckets.Add(spec);
    if (!added.ok()) return ReportError("serve", added);
  }
  // Signals go to the server's waiting thread only: block them before any
  // thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const int cores = AvailableCores();
  auto compute_slots = cl->GetNumber("compute-slots", cores, 1, 1024);
  if (!compute_slots.ok()) return ReportError("serve", compute_slots.status());
  auto backend_options = ParseBackendOptions(*cl, "compute-threads", /*default_threads=*/0);
  if (!backend_options.ok()) return ReportError("serve", backend_options.status());
  auto backend = LoadBackend(cl->Get("backbone"), *backend_options);
  if (!backend.ok()) return ReportError("serve", backend.status());
  auto store = Store::Open(cl->Get("data-dir"), cl->Get("database"));
  if (!store.ok()) return ReportError("serve", store.status());
  ServiceOptions service_options;
  service_options.region = cl->Get("region", "us-east-1");
  service_options.backbone_path = BackbonePath(cl->Get("backbone"));
  service_options.max_concurrent_detects = static_cast<int>(*max_detects);
  service_options.allow_normal_only_training = cl->Has("allow-normal-only-training");
  service_options.quick_training = cl->Has("quick-training");
  service_options.training_lease_seconds = *lease_seconds;
  service_options.parallel = backend->parallel;
  service_options.compute_slots = std::make_shared<ComputeSlots>(static_cast<int>(*compute_slots), backend->threads,
                                                                 /*pin_to_cpus=*/!cl->Has("no-cpu-pinning"));
  service_options.search = backend->search;
  service_options.training_search = backend->training_search;
  service_options.jpeg = backend->jpeg;
  auto service =
      LookoutService::Create(std::move(store).value(), std::move(buckets), backend->backbone, service_options);
  if (!service.ok()) return ReportError("serve", service.status());
  const int code = Serve(**service, server_options);
  // The drain's last step: a job this server was training fails now,
  // instead of when its lease runs out.
  (*service)->ReleaseTraining();
  // Stop now, without waiting for the training job to end: every committed
  // change is already stored, and the job was released above.
  std::fprintf(stderr, "anomalens serve: stopped\n");
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace anomalens

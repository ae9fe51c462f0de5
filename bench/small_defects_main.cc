// anomalens_small_defects: the small-defect study as a table and JSON.
//
//   anomalens_small_defects [--json OUT.json] [--resolution PX]
#include <cstdio>

#include <nlohmann/json.hpp>

#include "bench/small_defect_study.h"
#include "native/cli/command_line.h"
#include "native/jobs/file_io.h"
#include "native/jobs/model_loader.h"

int main(int argc, char** argv) {
  using namespace anomalens;
  auto cl = ParseCommandLine(argc, argv, 1, {{"json", true}, {"resolution", true}});
  if (!cl.ok()) return ReportError("small-defects", cl.status());
  SmallDefectStudyOptions options;
  if (cl->Has("resolution")) {
    auto r = cl->GetNumber("resolution", 0, 32, 4096);
    if (!r.ok()) return ReportError("small-defects", r.status());
    options.config.short_side = static_cast<int>(*r);
  }
  auto backbone = LoadBackbone("");
  if (!backbone.ok()) return ReportError("small-defects", backbone.status());
  auto results = RunSmallDefectStudy(*backbone, options);
  if (!results.ok()) return ReportError("small-defects", results.status());
  std::printf("%-11s %-7s %-9s %-8s %-12s %-8s\n", "image", "scale", "defect", "defect", "recall", "ROCAUC");
  std::printf("%-11s %-7s %-9s %-8s %-12s %-8s\n", "", "", "area", "px", "@FPR", "");
  nlohmann::ordered_json doc = nlohmann::json::array();
  for (const SmallDefectResult& r : *results) {
    const double pixels = r.c.defect_area * r.c.width * r.c.height;
    std::printf("%5dx%-5d %-7.3f %6.2f%% %8.0f %5.2f@%-5.2f %8.4f\n", r.c.width, r.c.height, r.scale,
                100 * r.c.defect_area, pixels, r.recall, r.false_positive_rate, r.roc_auc);
    doc.push_back({{"width", r.c.width},
                   {"height", r.c.height},
                   {"defect_area", r.c.defect_area},
                   {"scale", r.scale},
                   {"recall", r.recall},
                   {"false_positive_rate", r.false_positive_rate},
                   {"roc_auc", r.roc_auc},
                   {"normals", r.normals},
                   {"anomalies", r.anomalies}});
  }
  if (cl->Has("json")) {
    const Status s = WriteFileAtomic(cl->Get("json"), doc.dump(2) + "\n");
    if (!s.ok()) return ReportError("small-defects", s);
  }
  return kExitOk;
}

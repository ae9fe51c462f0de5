// Lookout for Vision's API as data: every operation (HTTP method, URI,
// input, output and error shapes) and every shape (members, where each
// travels, lengths, patterns, enums). One definition serves two readers:
//   - the server routes requests by it (MatchOperation) and checks URI
//     parameters against their shapes' constraints;
//   - `anomalens service-model` writes it as botocore's service-2.json and
//     paginators-1.json (ServiceModelJson, PaginatorsJson), so current SDKs
//     that no longer bundle the service can call `anomalens serve`.
#ifndef ANOMALENS_NATIVE_SERVER_SERVICE_MODEL_H_
#define ANOMALENS_NATIVE_SERVER_SERVICE_MODEL_H_

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace anomalens {

// A structure's member: the shape it has and where it travels.
struct ShapeMember {
  std::string name;
  std::string shape;
  bool required = false;
  std::string location;       // "" (the JSON body), "uri", "querystring" or "header"
  std::string location_name;  // the URI label, query key or header name
  bool idempotency_token = false;

  ShapeMember Required() const;
  ShapeMember InUri(const std::string& label) const;
  ShapeMember InQuery(const std::string& key) const;
  ShapeMember InHeader(const std::string& header) const;
  ShapeMember IdempotencyToken() const;
};

struct Shape {
  std::string name;
  std::string type;  // structure, list, string, integer, float, boolean, timestamp, blob
  std::vector<ShapeMember> members;  // structure
  std::string payload;               // structure: the member that is the whole HTTP body
  std::string list_member;           // list: the element shape
  bool has_min = false, has_max = false;
  long long min = 0, max = 0;        // length (string, blob, list) or value (integer)
  std::string pattern;
  std::vector<std::string> enum_values;
  bool streaming = false;            // blob sent as the raw body
  int error_status = 0;              // exceptions: the HTTP status; 0 otherwise
  bool fault = false;                // exceptions that are the server's fault
};

struct Operation {
  std::string name;
  std::string method;
  std::string uri;          // e.g. /2020-11-20/projects/{projectName}/models
  int success_status = 200;
  std::string input, output;
  std::vector<std::string> errors;
  std::string page_result;  // list operations: the output member a paginator collects
};

struct ServiceModel {
  std::vector<Operation> operations;
  std::map<std::string, Shape> shapes;

  const Shape& GetShape(const std::string& name) const;  // throws std::out_of_range
  const Operation* FindOperation(const std::string& name) const;
};

// The one table, built on first use.
const ServiceModel& LookoutServiceModel();

// The operation whose method and URI template match; fills `uri_labels`
// (label -> decoded segment). nullptr when none does.
const Operation* MatchOperation(const ServiceModel& model, const std::string& method,
                                const std::vector<std::string>& segments,
                                std::map<std::string, std::string>* uri_labels);

// True when the operation's input has a ClientToken (an idempotency token).
bool TakesClientToken(const ServiceModel& model, const Operation& operation);

// Checks a string against its shape's length bounds and pattern; throws
// ApiError::Validation naming `what` (lookout_errors.h).
void CheckAgainstShape(const Shape& shape, const std::string& value, const std::string& what);

// botocore's files: data/lookoutvision/2020-11-20/{service-2,paginators-1}.json.
nlohmann::ordered_json ServiceModelJson(const ServiceModel& model);
nlohmann::ordered_json PaginatorsJson(const ServiceModel& model);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_SERVICE_MODEL_H_

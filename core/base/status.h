// Status and StatusOr: how every core function reports failure.
//
//   StatusOr<RgbImage> image = DecodeImage(bytes, "image/jpeg");
//   if (!image.ok()) return image.status();   // or ASSIGN_OR_RETURN(auto img, ...)
//
// The core never throws across its API and never aborts on bad input; each
// boundary (CLI exit code, HTTP status, JS Error name) maps StatusCode to its
// own convention.
#ifndef ANOMALENS_CORE_BASE_STATUS_H_
#define ANOMALENS_CORE_BASE_STATUS_H_

#include <optional>
#include <string>
#include <utility>

namespace anomalens {

enum class StatusCode {
  kOk = 0,
  // The caller's input is wrong: malformed bytes, a value outside a limit,
  // an inconsistent dataset. Lookout's ValidationException.
  kInvalidInput,
  // The input is well formed but asks for something we do not do
  // (an image format, a model-file version from the future).
  kUnsupported,
  // Stored bytes are damaged: a checksum mismatch or a truncated file.
  kDataLoss,
  // A resource limit of ours, not the caller's mistake, was reached.
  kResourceExhausted,
  // The caller's cancellation hook asked us to stop.
  kCancelled,
  // A bug: an invariant of ours does not hold.
  kInternal,
};

// Returns a stable lowercase name, e.g. "invalid input", for messages.
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid input: image is 32x900 px; each side must be 64 to 4096 px".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidInput(std::string m) { return {StatusCode::kInvalidInput, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Only valid when ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace anomalens

#define ANOMALENS_CONCAT_INNER(a, b) a##b
#define ANOMALENS_CONCAT(a, b) ANOMALENS_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (a Status) is not ok.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::anomalens::Status anomalens_status_ = (expr);    \
    if (!anomalens_status_.ok()) return anomalens_status_; \
  } while (0)

// Declares `lhs` from a StatusOr expression, or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(ANOMALENS_CONCAT(anomalens_or_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#endif  // ANOMALENS_CORE_BASE_STATUS_H_

// Fuzz inputs that are HTTP requests, kept in a readable text form so that
// seeds are plain files:
//
//   POST /2020-11-20/projects?maxResults=5      request line (optional: see ParseHeadersAndBody)
//   content-type: application/json              header lines, up to a blank line
//
//   {"ProjectName": "p"}                        the body: every byte after the blank line
//
// Header names are lowercased and repeats joined with ',', as the server's
// httplib glue does.
#ifndef ANOMALENS_TESTS_FUZZ_HTTP_TEXT_H_
#define ANOMALENS_TESTS_FUZZ_HTTP_TEXT_H_

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "native/server/server.h"

namespace anomalens::fuzz {

// Reads header lines from `text` at *pos up to a blank line (or the end),
// then the rest as the body.
inline void ParseHeadersAndBody(const std::string& text, size_t pos, HttpRequest* request) {
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    const size_t first = value.find_first_not_of(' ');
    value = first == std::string::npos ? "" : value.substr(first);
    auto [it, inserted] = request->headers.emplace(name, value);
    if (!inserted) it->second += "," + value;
  }
  if (pos < text.size()) request->body = text.substr(pos);
}

// A whole request: the request line "METHOD TARGET", then headers and body.
inline HttpRequest ParseHttpText(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  HttpRequest request;
  size_t end = text.find('\n');
  if (end == std::string::npos) end = text.size();
  std::string line = text.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const size_t space = line.find(' ');
  request.method = line.substr(0, space);
  request.target = space == std::string::npos ? "" : line.substr(space + 1);
  ParseHeadersAndBody(text, end + 1, &request);
  return request;
}

}  // namespace anomalens::fuzz

#endif  // ANOMALENS_TESTS_FUZZ_HTTP_TEXT_H_

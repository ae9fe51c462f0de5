// Files for the native targets: bounded reads and atomic writes.
#ifndef ANOMALENS_NATIVE_JOBS_FILE_IO_H_
#define ANOMALENS_NATIVE_JOBS_FILE_IO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/byte_span.h"
#include "core/base/status.h"

namespace anomalens {

// Reads a whole file; refuses files larger than `max_bytes` before reading.
StatusOr<std::vector<uint8_t>> ReadFile(const std::string& path, size_t max_bytes);

// Writes to PATH.tmp-PID, fsyncs, renames over PATH and fsyncs the folder, so
// a reader never sees a half-written file, a crash leaves the old one intact,
// and once it returns the new one survives a crash.
Status WriteFileAtomic(const std::string& path, ByteSpan bytes);

bool IsRegularFile(const std::string& path);
bool IsDirectory(const std::string& path);
// Returns the names (not paths) of a directory's entries, sorted.
StatusOr<std::vector<std::string>> ListDirectory(const std::string& path);
std::string JoinPath(const std::string& dir, const std::string& name);
std::string ParentDirectory(const std::string& path);
// Creates a folder and its missing parents.
Status MakeDirectories(const std::string& path);
// Removes a folder tree (the server's models of a deleted project); missing is fine.
Status RemoveTree(const std::string& path);
// The directory holding the running executable.
std::string ExecutableDirectory();

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_JOBS_FILE_IO_H_

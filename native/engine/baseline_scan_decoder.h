// BaselineScanDecoder: the native JPEG decoder's own entropy decoding for the
// common case, a sequential 8-bit Huffman file of one interleaved scan (every
// component in it; grey is one component), with or without restart markers.
// It gives the quantized DCT coefficients libjpeg-turbo's
// jpeg_read_coefficients gives, value for value, in blocks of natural order
// (libjpeg's JBLOCK), faster: a 64-bit bit buffer, 10-bit lookahead tables
// that decode an AC coefficient's run, size and value (or an end of block)
// in one look-up.
//
// It takes only what libjpeg-turbo reads without a warning and as this code
// reproduces it. Anything else (another coding, a bad Huffman table or code,
// a coefficient past the 64th, entropy data that runs short or long of its
// MCUs, a restart marker out of place, fill bytes, a marker other than EOI
// after the scan) makes Decode return false, and the caller hands the file
// to libjpeg-turbo as before (turbo_jpeg_decoder.cc), whose answer stands.
//
// On two threads (DecodeInTwo) the second half of the entropy data is
// decoded speculatively (docs/speed.md, "Our own entropy decoder"):
// without restart markers, from the split (the middle byte unless the
// caller gives the second half a smaller share), recording where each MCU
// it reads starts; the first thread decodes from the start until one of its
// MCUs starts at a bit the other recorded. Huffman codes resynchronise within
// a few codes, and from that MCU on the two read the same bits the same way,
// so the second thread's blocks stand, moved to their true MCU index and
// with each component's DC predictor corrected by the difference at the
// meeting point. Where they never meet, the first thread finishes alone.
// With restart markers the second half starts at a restart interval, where
// the predictors restart anyway. The coefficients are the same on any
// number of threads.
#ifndef ANOMALENS_NATIVE_ENGINE_BASELINE_SCAN_DECODER_H_
#define ANOMALENS_NATIVE_ENGINE_BASELINE_SCAN_DECODER_H_

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/base/byte_span.h"
#include "core/base/default_init_allocator.h"
#include "core/base/parallel.h"

struct jpeg_decompress_struct;

namespace anomalens {

class BaselineScanDecoder {
 public:
  using Block = int16_t[64];  // libjpeg's JBLOCK (JCOEF is short)

  BaselineScanDecoder();
  ~BaselineScanDecoder();
  BaselineScanDecoder(const BaselineScanDecoder&) = delete;
  BaselineScanDecoder& operator=(const BaselineScanDecoder&) = delete;

  // From libjpeg's state just after jpeg_read_header (which stopped at the
  // first scan, reading `jpeg` from memory): false when the file is not the
  // common case above, judged from its headers. Then nothing else applies.
  bool Prepare(const jpeg_decompress_struct& cinfo, ByteSpan jpeg);

  // Decodes the scan. `on_rows(n)`, when set, is called on the decoding
  // thread each time the first n iMCU rows are final, in increasing n.
  // true: every MCU decoded, and the scan ends as libjpeg-turbo reads it
  // without a warning. false: hand the file to libjpeg-turbo; rows reported
  // final before that are libjpeg-turbo's, if it reads the file at all.
  bool Decode(const std::function<void(int)>& on_rows = {});
  // The same coefficients, the second half decoded on `parallel`'s second
  // thread, if it has one. `on_rows` as for Decode, from the first half's
  // thread (its rows, then the rest at once).
  bool DecodeInTwo(const ParallelFor& parallel, const std::function<void(int)>& on_rows = {});

  // The second half's share of the entropy data (bytes, or restart
  // intervals), a half by default; a caller that has other work for the
  // second thread (the reconstruction) gives it less. The coefficients do
  // not depend on it.
  void set_second_share(double share) { second_share_ = std::min(0.5, std::max(0.0, share)); }

  // DecodeInTwo's parts, for a caller that runs them as roles of its own:
  // DecodeFirstHalf (reporting rows as Decode does) and DecodeSecondHalf
  // may run at the same time, then FinishHalves after both, with
  // `second_ran` false if DecodeSecondHalf was never started (the first
  // half's thread then reads the rest). The result is Decode's either way.
  bool DecodeFirstHalf(const std::function<void(int)>& on_rows);
  void DecodeSecondHalf();
  bool FinishHalves(bool second_ran, const std::function<void(int)>& on_rows);

  int total_imcu_rows() const { return imcu_rows_; }
  // Block row `by` of component `c` (the file's component order): at least
  // the component's width_in_blocks blocks. Valid after Decode's rows are final.
  Block* Row(int c, int by) const { return rows_[c][static_cast<size_t>(by)]; }

  // Whether the last DecodeInTwo met the first half's MCUs with the
  // second's (false: the first thread finished alone, or restart markers).
  bool met() const { return met_; }

 private:
  struct Table;
  struct Component {
    int index = 0;        // in the file's component order
    int h = 1, v = 1;     // blocks an MCU, across and down
    int dc = 0, ac = 0;   // tables_ indices
    int first_block = 0;  // in the MCU
  };
  struct Chain;  // one thread's decoding state
  bool DecodeMcus(Chain* chain, size_t mcu_end, Block* const* base, size_t base_mcu, uint64_t bit_end,
                  std::vector<uint64_t>* starts);
  bool DecodeSegments(size_t first, size_t last, const std::function<void(int)>& on_rows, int* reported);
  void PointRows(size_t mcu_begin, size_t mcu_end, Block* const* base, size_t base_mcu);
  bool EndsCleanly(uint64_t end_bit, size_t segment) const;
  bool Splits() const;
  size_t SplitByte() const;     // where the second half starts without restart markers
  size_t SplitSegment() const;  // ... and its first restart interval with them  // worth two threads (else the halves' parts decode it all at the finish)
  void Report(size_t mcus_done, const std::function<void(int)>& on_rows, int* reported) const;

  std::vector<Table> tables_;
  std::vector<Component> scan_;
  int blocks_in_mcu_ = 0;
  int components_ = 0;
  size_t mcus_per_row_ = 0, mcu_rows_ = 0, total_mcus_ = 0;
  int imcu_rows_ = 0;
  int block_rows_per_imcu_[4] = {1, 1, 1, 1};
  size_t restart_interval_ = 0;
  UninitializedVector<uint8_t> data_;   // the entropy-coded data, unstuffed, zero-padded (written before read)
  std::vector<size_t> segment_ends_;    // byte ends in data_ of each restart interval (one without markers)
  // Block storage: per scan component and block row within the MCU, MCU after MCU.
  std::vector<std::unique_ptr<Block[]>> storage_;
  std::vector<std::unique_ptr<Block[]>> spare_;  // the speculative half's
  std::vector<std::vector<Block*>> rows_;        // per file component, per block row
  // The halves' state between their parts.
  double second_share_ = 0.5;
  std::unique_ptr<Chain> first_;
  int reported_ = 0;
  bool second_ok_ = false;
  size_t spare_mcus_ = 0;
  std::vector<uint64_t> starts_;  // the second half's MCU starts (bits), and where it stopped
  bool met_ = false;
};

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_BASELINE_SCAN_DECODER_H_

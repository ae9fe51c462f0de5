#include "native/engine/baseline_scan_decoder.h"

#include <algorithm>
#include <cstdio>  // before jpeglib.h, which needs FILE
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <jpeglib.h>

namespace anomalens {
namespace {

// Zero bytes after the entropy data: a chain that reads past its end (a
// failure either way) reads zeros, as libjpeg-turbo does, and stays inside
// the buffer: an MCU reads at most 10 blocks x 64 codes x 31 bits.
constexpr size_t kPadding = 4096;
constexpr int kFastBits = 10;
constexpr uint8_t kEndOfBlock = 64;  // an AC look-up's run for EOB

// The zigzag order's natural positions (libjpeg's jpeg_natural_order).
constexpr uint8_t kNatural[64] = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
                                  12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
                                  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
                                  58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

inline int Extend(uint32_t bits, int size) {
  return bits < (1u << (size - 1)) ? static_cast<int>(bits) - (1 << size) + 1 : static_cast<int>(bits);
}

// A block's 128 bytes zeroed in vector stores (GCC makes std::memset's a
// rep stos, slow to start on each block).
inline void ZeroBlock(int16_t* block) {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  for (int i = 0; i < 8; ++i) _mm_storeu_si128(reinterpret_cast<__m128i*>(block) + i, zero);
#else
  std::memset(block, 0, 64 * sizeof(int16_t));
#endif
}

inline uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap64(v);
}

}  // namespace

// A Huffman table as libjpeg-turbo's jpeg_make_d_derived_tbl derives it (and
// refuses it), with lookahead tables.
struct BaselineScanDecoder::Table {
  uint16_t fast[1 << kFastBits];  // (code length << 8) | symbol; 0: a longer code
  struct Ac {  // (for a DC table: the difference, its code and value bits)
    int16_t value;
    uint8_t run;     // kEndOfBlock for EOB
    uint8_t length;  // code and value bits; 0: not decoded in one look-up
  } ac[1 << kFastBits];
  int32_t maxcode[18];
  int32_t valoffset[18];
  uint8_t values[256];

  bool Build(const JHUFF_TBL& table, bool dc) {
    uint8_t sizes[257];
    uint32_t codes[257];
    int p = 0;
    for (int l = 1; l <= 16; ++l) {
      const int count = table.bits[l];
      if (p + count > 256) return false;
      for (int i = 0; i < count; ++i) sizes[p++] = static_cast<uint8_t>(l);
    }
    sizes[p] = 0;
    const int symbols = p;
    uint32_t code = 0;
    int size = sizes[0];
    p = 0;
    while (sizes[p]) {
      while (sizes[p] == size) {
        codes[p++] = code;
        ++code;
      }
      if (code >= (1u << size)) return false;
      code <<= 1;
      ++size;
    }
    p = 0;
    for (int l = 1; l <= 16; ++l) {
      if (table.bits[l]) {
        valoffset[l] = p - static_cast<int32_t>(codes[p]);
        p += table.bits[l];
        maxcode[l] = static_cast<int32_t>(codes[p - 1]);
      } else {
        valoffset[l] = 0;
        maxcode[l] = -1;
      }
    }
    valoffset[17] = 0;
    maxcode[17] = 0xFFFFF;
    std::memcpy(values, table.huffval, sizeof values);
    if (dc) {
      for (int i = 0; i < symbols; ++i) {
        if (values[i] > 15) return false;
      }
    }
    std::memset(fast, 0, sizeof fast);
    std::memset(ac, 0, sizeof ac);
    p = 0;
    for (int l = 1; l <= kFastBits; ++l) {
      for (int i = 0; i < table.bits[l]; ++i, ++p) {
        const uint32_t first = codes[p] << (kFastBits - l);
        for (uint32_t k = 0; k < (1u << (kFastBits - l)); ++k) {
          fast[first + k] = static_cast<uint16_t>((l << 8) | values[p]);
        }
      }
    }
    if (dc) {
      // A DC difference's code and value bits in one look-up, where they fit.
      for (uint32_t i = 0; i < (1u << kFastBits); ++i) {
        const int l = fast[i] >> 8, s = fast[i] & 0xFF;
        if (l == 0 || l + s > kFastBits) continue;
        const int value = s ? Extend((i >> (kFastBits - l - s)) & ((1u << s) - 1), s) : 0;
        ac[i] = Ac{static_cast<int16_t>(value), 0, static_cast<uint8_t>(l + s)};
      }
    } else {
      for (uint32_t i = 0; i < (1u << kFastBits); ++i) {
        const int l = fast[i] >> 8, symbol = fast[i] & 0xFF;
        const int run = symbol >> 4, s = symbol & 15;
        if (l != 0 && symbol == 0) ac[i] = Ac{0, kEndOfBlock, static_cast<uint8_t>(l)};
        if (l == 0 || s == 0 || l + s > kFastBits) continue;
        const uint32_t bits = (i >> (kFastBits - l - s)) & ((1u << s) - 1);
        ac[i] = Ac{static_cast<int16_t>(Extend(bits, s)), static_cast<uint8_t>(run), static_cast<uint8_t>(l + s)};
      }
    }
    return true;
  }
};

// One thread's reading: the bit buffer (left-aligned, `count` bits valid,
// refilled a whole word at a time from the unstuffed data), the DC
// predictors (libjpeg's last_dc_val; only their low 16 bits reach a block)
// and the next MCU's index.
struct BaselineScanDecoder::Chain {
  const uint8_t* data = nullptr;
  size_t next = 0;  // the next byte to load
  uint64_t buffer = 0;
  int count = 0;
  uint32_t predictors[4] = {0, 0, 0, 0};
  size_t mcu = 0;

  void Start(const uint8_t* bytes, uint64_t bit) {
    data = bytes;
    next = static_cast<size_t>(bit >> 3);
    buffer = 0;
    count = 0;
    Refill();
    Skip(static_cast<int>(bit & 7));
  }
  uint64_t position() const { return static_cast<uint64_t>(next) * 8 - static_cast<uint64_t>(count); }
  void Refill() {
    buffer |= LoadBigEndian64(data + next) >> count;
    next += static_cast<size_t>((63 - count) >> 3);
    count |= 56;
  }
  void Skip(int n) {
    buffer <<= n;
    count -= n;
  }
  uint32_t Take(int n) {  // 1 <= n <= count
    const uint32_t bits = static_cast<uint32_t>(buffer >> (64 - n));
    Skip(n);
    return bits;
  }
  // A symbol of `table`; -1 for a code it does not have (libjpeg-turbo's
  // JWRN_HUFF_BAD_CODE). Needs 16 bits in the buffer.
  int Symbol(const Table& table) {
    const uint32_t entry = table.fast[buffer >> (64 - kFastBits)];
    if (entry) {
      Skip(static_cast<int>(entry >> 8));
      return static_cast<int>(entry & 0xFF);
    }
    for (int l = kFastBits + 1; l <= 16; ++l) {
      const int32_t code = static_cast<int32_t>(buffer >> (64 - l));
      if (code <= table.maxcode[l]) {
        Skip(l);
        return table.values[(table.valoffset[l] + code) & 0xFF];
      }
    }
    return -1;
  }
  // One block, as libjpeg-turbo's decode_mcu_slow reads it. false: a bad
  // code, or a coefficient past the 64th (which libjpeg-turbo folds into
  // the last, and stb refuses).
  bool ReadBlock(const Table& dc, const Table& ac, uint32_t* predictor, int16_t* block) {
    ZeroBlock(block);
    Refill();  // always (56 bits or more after it): a branch on the count mispredicts
    const Table::Ac& difference = dc.ac[buffer >> (64 - kFastBits)];
    if (difference.length) {
      Skip(difference.length);
      *predictor += static_cast<uint32_t>(static_cast<int32_t>(difference.value));
    } else {
      const int s = Symbol(dc);
      if (s < 0) return false;
      if (s) *predictor += static_cast<uint32_t>(Extend(Take(s), s));
    }
    block[0] = static_cast<int16_t>(static_cast<uint16_t>(*predictor));
    for (int k = 1; k < 64;) {
      Refill();  // as above
      const Table::Ac& fast = ac.ac[buffer >> (64 - kFastBits)];
      if (fast.length) {
        Skip(fast.length);
        k += fast.run;
        if (k > 63) {
          if (fast.run == kEndOfBlock) break;
          return false;
        }
        block[kNatural[k]] = fast.value;
        ++k;
        // A second look-up on the same refill: 46 bits or more are left.
        const Table::Ac& next = ac.ac[buffer >> (64 - kFastBits)];
        if (next.length && k < 64) {
          Skip(next.length);
          k += next.run;
          if (k > 63) {
            if (next.run == kEndOfBlock) break;
            return false;
          }
          block[kNatural[k]] = next.value;
          ++k;
        }
        continue;
      }
      const int rs = Symbol(ac);
      if (rs < 0) return false;
      const int run = rs >> 4, size = rs & 15;
      if (size) {
        k += run;
        if (k > 63) return false;
        block[kNatural[k]] = static_cast<int16_t>(Extend(Take(size), size));
        ++k;
      } else {
        if (run != 15) break;
        k += 16;
      }
    }
    return true;
  }
};

BaselineScanDecoder::BaselineScanDecoder() = default;
BaselineScanDecoder::~BaselineScanDecoder() = default;

bool BaselineScanDecoder::Prepare(const jpeg_decompress_struct& cinfo, ByteSpan jpeg) {
  met_ = false;
  if (cinfo.progressive_mode || cinfo.arith_code || cinfo.data_precision != 8) return false;
  if (cinfo.num_components < 1 || cinfo.num_components > 4 || cinfo.comps_in_scan != cinfo.num_components) {
    return false;
  }
  if (cinfo.Ss != 0 || cinfo.Se != 63 || cinfo.Ah != 0 || cinfo.Al != 0) return false;
  if (cinfo.unread_marker != 0 || cinfo.src == nullptr) return false;
  const uint8_t* begin = cinfo.src->next_input_byte;
  const uint8_t* end = jpeg.data + jpeg.size;
  if (begin < jpeg.data || begin > end || static_cast<size_t>(end - begin) != cinfo.src->bytes_in_buffer) return false;

  components_ = cinfo.num_components;
  const bool interleaved = cinfo.comps_in_scan > 1;
  const int h_max = cinfo.max_h_samp_factor, v_max = cinfo.max_v_samp_factor;
  if (interleaved) {
    mcus_per_row_ = (cinfo.image_width + 8u * h_max - 1) / (8u * h_max);
    mcu_rows_ = (cinfo.image_height + 8u * v_max - 1) / (8u * v_max);
  } else {
    mcus_per_row_ = cinfo.cur_comp_info[0]->width_in_blocks;
    mcu_rows_ = cinfo.cur_comp_info[0]->height_in_blocks;
  }
  total_mcus_ = mcus_per_row_ * mcu_rows_;
  imcu_rows_ = static_cast<int>(cinfo.total_iMCU_rows);
  if (total_mcus_ == 0) return false;

  tables_.assign(static_cast<size_t>(2 * cinfo.comps_in_scan), Table());
  scan_.assign(static_cast<size_t>(cinfo.comps_in_scan), Component());
  blocks_in_mcu_ = 0;
  for (int i = 0; i < cinfo.comps_in_scan; ++i) {
    const jpeg_component_info* comp = cinfo.cur_comp_info[i];
    Component& c = scan_[static_cast<size_t>(i)];
    c.index = comp->component_index;
    if (c.index < 0 || c.index >= components_) return false;
    c.h = interleaved ? comp->h_samp_factor : 1;
    c.v = interleaved ? comp->v_samp_factor : 1;
    block_rows_per_imcu_[c.index] = comp->v_samp_factor;
    c.first_block = blocks_in_mcu_;
    blocks_in_mcu_ += c.h * c.v;
    const int dc_no = comp->dc_tbl_no, ac_no = comp->ac_tbl_no;
    if (dc_no < 0 || dc_no >= NUM_HUFF_TBLS || ac_no < 0 || ac_no >= NUM_HUFF_TBLS) return false;
    const JHUFF_TBL* dc = cinfo.dc_huff_tbl_ptrs[dc_no];
    const JHUFF_TBL* ac = cinfo.ac_huff_tbl_ptrs[ac_no];
    if (dc == nullptr || ac == nullptr) return false;
    c.dc = 2 * i;
    c.ac = 2 * i + 1;
    if (!tables_[static_cast<size_t>(c.dc)].Build(*dc, true)) return false;
    if (!tables_[static_cast<size_t>(c.ac)].Build(*ac, false)) return false;
  }
  if (blocks_in_mcu_ > 10) return false;  // libjpeg's D_MAX_BLOCKS_IN_MCU

  // The entropy data, unstuffed, cut at its restart markers, up to EOI.
  restart_interval_ = cinfo.restart_interval;
  data_.resize(static_cast<size_t>(end - begin) + kPadding);
  segment_ends_.clear();
  size_t size = 0;
  const uint8_t* p = begin;
  for (;;) {
    const auto* ff = static_cast<const uint8_t*>(std::memchr(p, 0xFF, static_cast<size_t>(end - p)));
    if (ff == nullptr || ff + 1 >= end) return false;  // no marker after the scan: libjpeg-turbo warns
    std::memcpy(data_.data() + size, p, static_cast<size_t>(ff - p));
    size += static_cast<size_t>(ff - p);
    const uint8_t b = ff[1];
    p = ff + 2;
    if (b == 0) {
      data_[size++] = 0xFF;
    } else if (b >= 0xD0 && b <= 0xD7) {
      if (restart_interval_ == 0 || b != 0xD0 + (segment_ends_.size() & 7)) return false;
      segment_ends_.push_back(size);
    } else if (b == 0xD9) {
      segment_ends_.push_back(size);
      break;
    } else {
      return false;  // fill bytes, or another marker after the scan: libjpeg-turbo's to judge
    }
  }
  const size_t segments = restart_interval_ ? (total_mcus_ + restart_interval_ - 1) / restart_interval_ : 1;
  if (segment_ends_.size() != segments) return false;
  std::memset(data_.data() + size, 0, kPadding);

  storage_.clear();
  spare_.clear();
  for (const Component& c : scan_) {
    for (int y = 0; y < c.v; ++y) storage_.emplace_back(new Block[total_mcus_ * static_cast<size_t>(c.h)]);
  }
  rows_.assign(static_cast<size_t>(components_), {});
  std::vector<Block*> base;
  for (auto& s : storage_) base.push_back(s.get());
  for (const Component& c : scan_) rows_[static_cast<size_t>(c.index)].resize(mcu_rows_ * static_cast<size_t>(c.v));
  PointRows(0, total_mcus_, base.data(), 0);
  return true;
}

// Points the block rows of every MCU row within [mcu_begin, mcu_end) at
// `base` (streams as storage_'s, MCU `base_mcu` first).
void BaselineScanDecoder::PointRows(size_t mcu_begin, size_t mcu_end, Block* const* base, size_t base_mcu) {
  for (size_t row = (mcu_begin + mcus_per_row_ - 1) / mcus_per_row_; (row + 1) * mcus_per_row_ <= mcu_end; ++row) {
    int stream = 0;
    for (const Component& c : scan_) {
      for (int y = 0; y < c.v; ++y, ++stream) {
        rows_[static_cast<size_t>(c.index)][row * c.v + static_cast<size_t>(y)] =
            base[stream] + (row * mcus_per_row_ - base_mcu) * static_cast<size_t>(c.h);
      }
    }
  }
}

// Decodes MCUs chain->mcu .. mcu_end - 1 into `base` (MCU `base_mcu` at its
// start), recording each one's first bit in `starts` when set. false at a
// bad code or coefficient, or when an MCU reads past `bit_end`; chain->mcu
// is then the MCU that failed, and the chain is not to be used further.
bool BaselineScanDecoder::DecodeMcus(Chain* chain, size_t mcu_end, Block* const* base, size_t base_mcu,
                                     uint64_t bit_end, std::vector<uint64_t>* starts) {
  // On a local copy, which the compiler keeps in registers: through the
  // pointer, the bit buffer, its count and the byte position were stored
  // back after every code (a block's stores may alias them as far as it
  // knows). 10 - 15% of the entropy decoding on the cookie JPEG.
  Chain local = *chain;
  const bool ok = [&] {
    for (; local.mcu < mcu_end; ++local.mcu) {
      if (starts) starts->push_back(local.position());
      const size_t at = local.mcu - base_mcu;
      int stream = 0;
      for (const Component& c : scan_) {
        const Table& dc = tables_[static_cast<size_t>(c.dc)];
        const Table& ac = tables_[static_cast<size_t>(c.ac)];
        for (int y = 0; y < c.v; ++y, ++stream) {
          Block* blocks = base[stream] + at * static_cast<size_t>(c.h);
          for (int x = 0; x < c.h; ++x) {
            if (!local.ReadBlock(dc, ac, &local.predictors[c.index], blocks[x])) return false;
          }
        }
      }
      if (local.position() > bit_end) return false;
    }
    return true;
  }();
  *chain = local;
  return ok;
}

bool BaselineScanDecoder::EndsCleanly(uint64_t end_bit, size_t segment) const {
  const uint64_t bits = 8 * static_cast<uint64_t>(segment_ends_[segment]);
  return end_bit <= bits && bits - end_bit < 8;
}

void BaselineScanDecoder::Report(size_t mcus_done, const std::function<void(int)>& on_rows, int* reported) const {
  if (!on_rows) return;
  // iMCU rows are MCU rows, except in a non-interleaved scan of a
  // component of v blocks an iMCU row.
  const int rows = scan_.size() > 1 || mcus_done == total_mcus_
                       ? static_cast<int>(mcus_done / mcus_per_row_)
                       : static_cast<int>(mcus_done / mcus_per_row_) / block_rows_per_imcu_[scan_[0].index];
  const int imcu = mcus_done == total_mcus_ ? imcu_rows_ : std::min(rows, imcu_rows_);
  if (imcu > *reported) {
    *reported = imcu;
    on_rows(imcu);
  }
}

// Restart intervals [first, last), each from its own byte, predictors at 0.
bool BaselineScanDecoder::DecodeSegments(size_t first, size_t last, const std::function<void(int)>& on_rows,
                                         int* reported) {
  std::vector<Block*> base;
  for (auto& s : storage_) base.push_back(s.get());
  for (size_t segment = first; segment < last; ++segment) {
    Chain chain;
    chain.Start(data_.data(), segment == 0 ? 0 : 8 * static_cast<uint64_t>(segment_ends_[segment - 1]));
    const size_t mcu_begin = restart_interval_ ? segment * restart_interval_ : 0;
    const size_t mcu_end = restart_interval_ ? std::min(total_mcus_, mcu_begin + restart_interval_) : total_mcus_;
    chain.mcu = mcu_begin;
    const uint64_t bit_end = 8 * static_cast<uint64_t>(segment_ends_[segment]);
    // Rows are reported as they complete: an MCU row at a time without
    // restart markers, else at each interval's end.
    if (restart_interval_ == 0 && on_rows) {
      for (size_t row_end = mcus_per_row_; chain.mcu < mcu_end; row_end += mcus_per_row_) {
        if (!DecodeMcus(&chain, std::min(row_end, mcu_end), base.data(), 0, bit_end, nullptr)) return false;
        if (chain.mcu < mcu_end) Report(chain.mcu, on_rows, reported);
      }
    } else if (!DecodeMcus(&chain, mcu_end, base.data(), 0, bit_end, nullptr)) {
      return false;
    }
    if (!EndsCleanly(chain.position(), segment)) return false;
    if (mcu_end < total_mcus_) Report(mcu_end, on_rows, reported);
  }
  return true;
}

bool BaselineScanDecoder::Decode(const std::function<void(int)>& on_rows) {
  met_ = false;
  int reported = 0;
  if (!DecodeSegments(0, segment_ends_.size(), on_rows, &reported)) return false;
  if (on_rows) on_rows(imcu_rows_);
  return true;
}

bool BaselineScanDecoder::DecodeInTwo(const ParallelFor& parallel, const std::function<void(int)>& on_rows) {
  if (!parallel.run) return Decode(on_rows);
  bool first_ok = false, second_ran = false;
  parallel(2, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      if (i == 0) {
        first_ok = DecodeFirstHalf(on_rows);
      } else {
        DecodeSecondHalf();
        second_ran = true;
      }
    }
  });
  return first_ok && FinishHalves(second_ran, on_rows);
}

size_t BaselineScanDecoder::SplitByte() const {
  return static_cast<size_t>(static_cast<double>(segment_ends_[0]) * (1 - second_share_));
}

size_t BaselineScanDecoder::SplitSegment() const {
  const size_t segments = segment_ends_.size();
  const auto second = static_cast<size_t>(static_cast<double>(segments) * second_share_ + 0.5);
  return segments - std::min(std::max<size_t>(second, 1), segments - 1);
}

bool BaselineScanDecoder::Splits() const {
  if (second_share_ < 0.02) return false;
  return restart_interval_ ? segment_ends_.size() >= 2 : segment_ends_[0] >= 4096 && total_mcus_ >= 8;
}

bool BaselineScanDecoder::DecodeFirstHalf(const std::function<void(int)>& on_rows) {
  met_ = false;
  reported_ = 0;
  if (!Splits()) return true;  // FinishHalves decodes it all
  if (restart_interval_) return DecodeSegments(0, SplitSegment(), on_rows, &reported_);
  // From the start to the first MCU at or past the middle byte.
  const uint64_t bit_end = 8 * static_cast<uint64_t>(segment_ends_[0]);
  const uint64_t middle = 8 * static_cast<uint64_t>(SplitByte());
  std::vector<Block*> base;
  for (auto& s : storage_) base.push_back(s.get());
  first_ = std::make_unique<Chain>();
  first_->Start(data_.data(), 0);
  while (first_->mcu < total_mcus_ && first_->position() < middle) {
    if (!DecodeMcus(first_.get(), first_->mcu + 1, base.data(), 0, bit_end, nullptr)) return false;
    if (first_->mcu % mcus_per_row_ == 0 && first_->mcu < total_mcus_) Report(first_->mcu, on_rows, &reported_);
  }
  return true;
}

void BaselineScanDecoder::DecodeSecondHalf() {
  second_ok_ = false;
  if (!Splits()) return;
  if (restart_interval_) {
    // From a restart interval: the predictors restart there anyway.
    int reported = 0;
    second_ok_ = DecodeSegments(SplitSegment(), segment_ends_.size(), nullptr, &reported);
    return;
  }
  const uint64_t bit_end = 8 * static_cast<uint64_t>(segment_ends_[0]);
  // The second half's blocks, by its own MCU count from the split; room for
  // an eighth of the MCUs more than its share (where it runs out, the first
  // thread reads on).
  spare_mcus_ = static_cast<size_t>(static_cast<double>(total_mcus_) * (second_share_ + 0.125)) + 1;
  spare_.clear();
  for (const Component& c : scan_) {
    for (int y = 0; y < c.v; ++y) spare_.emplace_back(new Block[spare_mcus_ * static_cast<size_t>(c.h)]);
  }
  std::vector<Block*> spare;
  for (auto& s : spare_) spare.push_back(s.get());
  starts_.reserve(spare_mcus_ + 1);
  // A chain that breaks at once (a bad code, a coefficient past the 64th:
  // it started mid-code) is dropped and started again where it broke.
  // (Were the true chain to meet a broken one, it would break there too,
  // and the file go to libjpeg-turbo.) starts_: where MCUs 0 ..
  // second.mcu - 1 of the last chain began, and where the next begins.
  Chain second;
  uint64_t at = 8 * static_cast<uint64_t>(SplitByte());
  for (;;) {
    second = Chain();
    starts_.clear();
    second.Start(data_.data(), at);
    if (DecodeMcus(&second, spare_mcus_, spare.data(), 0, bit_end, &starts_)) {
      starts_.push_back(second.position());
      break;
    }
    // Past the data's end, or after a run of MCUs (most likely the true
    // chain, broken by the padding bits after the last MCU or by damage):
    // it stops there.
    if (second.position() > bit_end || second.mcu >= 16) {
      starts_.resize(second.mcu + 1);
      break;
    }
    at = std::max(second.position(), at + 1);
  }
  second_ok_ = true;
}

bool BaselineScanDecoder::FinishHalves(bool second_ran, const std::function<void(int)>& on_rows) {
  if (!Splits()) return Decode(on_rows);
  if (restart_interval_) {
    const size_t middle = SplitSegment();
    if (!second_ran && !DecodeSegments(middle, segment_ends_.size(), on_rows, &reported_)) return false;
    if (second_ran && !second_ok_) return false;
    if (on_rows) on_rows(imcu_rows_);
    return true;
  }
  const uint64_t bit_end = 8 * static_cast<uint64_t>(segment_ends_[0]);
  std::vector<Block*> base;
  for (auto& s : storage_) base.push_back(s.get());
  Chain& first = *first_;
  if (!second_ran) {
    // Alone: read on to the end, handing rows over as they complete.
    for (size_t row_end = (first.mcu / mcus_per_row_ + 1) * mcus_per_row_; first.mcu < total_mcus_;
         row_end += mcus_per_row_) {
      if (!DecodeMcus(&first, std::min(row_end, total_mcus_), base.data(), 0, bit_end, nullptr)) return false;
      if (first.mcu < total_mcus_) Report(first.mcu, on_rows, &reported_);
    }
    if (!EndsCleanly(first.position(), 0)) return false;
    if (on_rows) on_rows(imcu_rows_);
    return true;
  }
  std::vector<Block*> spare;
  for (auto& s : spare_) spare.push_back(s.get());
  const std::vector<uint64_t>& starts = starts_;
  const size_t decoded = starts.size() - 1;  // the second half's good MCUs

  // The first thread reads on until one of its MCUs starts where one of the
  // second's did.
  size_t j = 0;
  while (first.mcu < total_mcus_) {
    const uint64_t at = first.position();
    while (j < starts.size() && starts[j] < at) ++j;
    if (j < decoded && starts[j] == at) break;
    if (!DecodeMcus(&first, first.mcu + 1, base.data(), 0, bit_end, nullptr)) return false;
  }
  if (first.mcu == total_mcus_) {  // they never met
    if (!EndsCleanly(first.position(), 0)) return false;
    if (on_rows) on_rows(imcu_rows_);
    return true;
  }
  met_ = true;
  const size_t i = first.mcu;
  const size_t usable = std::min(decoded - j, total_mcus_ - i);
  // The second half's DC values are off by the predictors' difference at
  // the meeting point (its own started at 0), modulo 2^16 as they are kept.
  uint16_t delta[4] = {0, 0, 0, 0};
  int stream = 0;
  for (const Component& c : scan_) {
    const uint16_t theirs =
        j == 0 ? 0 : static_cast<uint16_t>(spare[stream + c.v - 1][(j - 1) * static_cast<size_t>(c.h) + c.h - 1][0]);
    delta[c.index] = static_cast<uint16_t>(static_cast<uint16_t>(first.predictors[c.index]) - theirs);
    stream += c.v;
  }
  stream = 0;
  for (const Component& c : scan_) {
    const uint16_t d = delta[c.index];
    for (int y = 0; y < c.v; ++y, ++stream) {
      Block* blocks = spare[stream] + j * static_cast<size_t>(c.h);
      for (size_t b = 0; b < usable * static_cast<size_t>(c.h); ++b) {
        blocks[b][0] = static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint16_t>(blocks[b][0]) + d));
      }
    }
  }
  // MCU rows wholly in the second half's blocks point there; the rows it
  // shares with the first thread's get its blocks copied in.
  const size_t end = i + usable;
  const size_t base_mcu = i - j;  // the true index of the second half's MCU 0
  PointRows(i, end, spare.data(), base_mcu);
  auto copy = [&](size_t from, size_t to) {  // true MCUs [from, to) into storage_
    if (from >= to) return;
    int s = 0;
    for (const Component& c : scan_) {
      for (int y = 0; y < c.v; ++y, ++s) {
        std::memcpy(base[s] + from * static_cast<size_t>(c.h), spare[s] + (from - base_mcu) * static_cast<size_t>(c.h),
                    (to - from) * static_cast<size_t>(c.h) * sizeof(Block));
      }
    }
  };
  const size_t first_whole_row = (i + mcus_per_row_ - 1) / mcus_per_row_ * mcus_per_row_;
  const size_t last_whole_row = end / mcus_per_row_ * mcus_per_row_;
  if (first_whole_row >= last_whole_row) {
    copy(i, end);
  } else {
    copy(i, first_whole_row);
    copy(last_whole_row, end);
  }
  if (end < total_mcus_) {
    // The second half stopped short: the first thread reads on from there,
    // with the predictors after the last MCU taken (corrected).
    stream = 0;
    for (const Component& c : scan_) {
      first.predictors[c.index] =
          static_cast<uint16_t>(spare[stream + c.v - 1][(end - 1 - base_mcu) * static_cast<size_t>(c.h) + c.h - 1][0]);
      stream += c.v;
    }
    first.Start(data_.data(), starts[j + usable]);
    first.mcu = end;
    if (!DecodeMcus(&first, total_mcus_, base.data(), 0, bit_end, nullptr)) return false;
    if (!EndsCleanly(first.position(), 0)) return false;
  } else if (!EndsCleanly(starts[j + usable], 0)) {
    return false;
  }
  if (on_rows) on_rows(imcu_rows_);
  return true;
}

}  // namespace anomalens

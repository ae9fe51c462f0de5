#include "libjpeg_encode.h"

#include <cstdio>  // before jpeglib.h, which needs FILE
#include <cstdlib>

#include <jpeglib.h>

namespace anomalens::testing {

std::vector<uint8_t> EncodeWithLibjpeg(const RgbImage& image, const LibjpegCoding& c) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr errors;
  cinfo.err = jpeg_std_error(&errors);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  if (c.grey) jpeg_set_colorspace(&cinfo, JCS_GRAYSCALE);
  jpeg_set_quality(&cinfo, c.quality, TRUE);
  cinfo.comp_info[0].h_samp_factor = c.luma_h;
  cinfo.comp_info[0].v_samp_factor = c.luma_v;
  cinfo.restart_interval = static_cast<unsigned int>(c.restart_interval);
  cinfo.restart_in_rows = c.restart_in_rows;
  cinfo.optimize_coding = c.optimize ? TRUE : FALSE;
  jpeg_scan_info scans[3];
  if (c.scan_per_component) {
    for (int i = 0; i < 3; ++i) scans[i] = jpeg_scan_info{1, {i, 0, 0, 0}, 0, 63, 0, 0};
    cinfo.scan_info = scans;
    cinfo.num_scans = 3;
  }
  if (c.progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(image.pixels.data() + static_cast<size_t>(cinfo.next_scanline) * image.width * 3);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> bytes(out, out + size);
  free(out);
  return bytes;
}

}  // namespace anomalens::testing

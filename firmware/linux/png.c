/*
 * The panel as an image. PNG with a palette — white, black, red (200, 0, 0), the colours renderer/frame.ts draws — at
 * 1 bit per pixel for a black/white panel (the plane's bytes are the PNG's rows as they are: 1 = ink = palette entry
 * 1) and 2 bits for black/white/red. Compressed with zlib, as PNG requires; no libpng needed.
 */
#include "display.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static int chunk(FILE *f, const char type[4], const uint8_t *data, uint32_t n) {
  uint8_t head[8];
  uint8_t tail[4];
  uLong crc = crc32(0L, (const Bytef *)type, 4);
  if (n) crc = crc32(crc, data, n);
  be32(head, n);
  memcpy(head + 4, type, 4);
  be32(tail, (uint32_t)crc);
  if (fwrite(head, 1, 8, f) != 8) return -1;
  if (n && fwrite(data, 1, n, f) != n) return -1;
  return fwrite(tail, 1, 4, f) == 4 ? 0 : -1;
}

int png_write(FILE *f, uint16_t width, uint16_t height, uint8_t planes, const uint8_t *frame) {
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
  static const uint8_t palette[9] = {255, 255, 255, 0, 0, 0, 200, 0, 0};
  size_t stride = ((size_t)width + 7u) / 8u;
  size_t plane = stride * height;
  size_t row = planes == 1 ? stride : ((size_t)width * 2u + 7u) / 8u;
  size_t raw_n = (row + 1) * height;
  uint8_t *raw = calloc(1, raw_n);
  uLongf packed_n = compressBound((uLong)raw_n);
  uint8_t *packed = malloc(packed_n);
  uint8_t ihdr[13];
  size_t y, x;
  int rc = -1;
  if (!raw || !packed) goto out;
  for (y = 0; y < height; y++) {
    uint8_t *dst = raw + y * (row + 1) + 1; /* filter byte 0: none */
    if (planes == 1) {
      memcpy(dst, frame + y * stride, stride);
      continue;
    }
    for (x = 0; x < width; x++) {
      size_t i = y * stride + x / 8;
      unsigned bit = 7u - (unsigned)(x % 8);
      unsigned black = (frame[i] >> bit) & 1u;
      unsigned red = (frame[plane + i] >> bit) & 1u;
      unsigned index = red ? 2u : black ? 1u : 0u;
      dst[x / 4] = (uint8_t)(dst[x / 4] | (index << (6u - 2u * (unsigned)(x % 4))));
    }
  }
  if (compress2(packed, &packed_n, raw, (uLong)raw_n, 6) != Z_OK) goto out;
  be32(ihdr, width);
  be32(ihdr + 4, height);
  ihdr[8] = planes == 1 ? 1 : 2; /* bit depth */
  ihdr[9] = 3;                   /* palette */
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  if (fwrite(signature, 1, 8, f) != 8) goto out;
  if (chunk(f, "IHDR", ihdr, 13) || chunk(f, "PLTE", palette, planes == 1 ? 6 : 9) ||
      chunk(f, "IDAT", packed, (uint32_t)packed_n) || chunk(f, "IEND", NULL, 0))
    goto out;
  rc = 0;
out:
  free(raw);
  free(packed);
  return rc;
}

int pbm_write(FILE *f, uint16_t width, uint16_t height, const uint8_t *frame) {
  /* P4 is the protocol's plane layout exactly: rows padded to bytes, most significant bit first, 1 = black */
  size_t n = ((size_t)width + 7u) / 8u * height;
  if (fprintf(f, "P4\n%u %u\n", (unsigned)width, (unsigned)height) < 0) return -1;
  return fwrite(frame, 1, n, f) == n ? 0 : -1;
}

/*
 * The fuzz input format of the chunk decoder target (fuzz/fuzz_decoder.c), written by the seed tool (fuzz/corpus.c)
 * from docs/vectors. Big-endian throughout.
 *
 *   u8  mode          0: the chunks as they are; 1: a transfer the harness signs (so the fuzzer reaches inflate,
 *                     region apply and the frame hash past the tag)
 *   u16 width, u16 height, u8 planes (1–2), u8 frame buffers (1–3), u16 maxChunk (≥ 32)
 *   u8  id length (1–32), the id
 *   u32 lastSeq (0: none)
 *   u8  state bits: 1 = a frame on screen follows, 2 = a held frame follows
 *   u32 held activate-at
 *   [frame bytes of the shown frame] [frame bytes of the held frame]
 *   u32 now, unix seconds
 *   mode 0: records until the end: u16 length (0xffff: the display's timer runs instead), u8 seconds that pass
 *           before it, the chunk's bytes
 *   mode 1: u16 MTU, then 116 header bytes (tag and CRC are recomputed), then the payload to the end
 *
 * The secret is the vectors' (01 02 … 20).
 */
#ifndef WGW_FUZZ_INPUT_H
#define WGW_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_MAX_FRAME ((size_t)96000)
#define FUZZ_POLL_RECORD 0xffffu

static const uint8_t FUZZ_SECRET[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

#endif

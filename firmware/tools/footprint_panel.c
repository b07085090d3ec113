/*
 * What a display of one panel class holds in RAM besides its stack, as a firmware would declare it: the library's
 * device (every state, buffer and zlib's arena), its frame buffers (3: the frame on screen, the one being decoded, one
 * held for later; 2 gives up the held frame when a transfer starts), one whole chunk (its CRC comes last) and a device
 * message being built. `size` of this object per class is the RAM table (tools/footprint.ts).
 *   -DFP_PLANES=1|2  -DFP_SLOTS=2|3  -DFP_MAX_CHUNK=128|4096
 */
#include "wegweiser.h"

#ifndef FP_PLANES
#define FP_PLANES 1
#endif
#ifndef FP_SLOTS
#define FP_SLOTS 3
#endif
#ifndef FP_MAX_CHUNK
#define FP_MAX_CHUNK 128
#endif

wgw_device fp_device;
uint8_t fp_frames[FP_SLOTS][WGW_FRAME_BYTES(WGW_EPD_7IN5_WIDTH, WGW_EPD_7IN5_HEIGHT, FP_PLANES)];
uint8_t fp_chunk[FP_MAX_CHUNK];
char fp_message[512];

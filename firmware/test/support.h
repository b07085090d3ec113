/*
 * Test support for the device library: a tiny TAP runner, an in-memory "flash" behind the persistence hooks (with
 * power-loss injection), and a reference encoder that writes transfers as the controller does
 * (controller/protocol/frame-v1.ts) — for the faults the vector files do not spell out. Tests may use the heap.
 */
#ifndef WGW_TEST_SUPPORT_H
#define WGW_TEST_SUPPORT_H

#include "wegweiser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- runner ---------------------------------------------------------------------------------------------------- */

extern int t_failures;
/* failures printed per test at most (a loop of checks would flood the output) */
extern int t_printed;
extern const char *t_current;

#define CHECK(cond)                                                                                   \
  do {                                                                                                \
    if (!(cond)) {                                                                                    \
      t_failures++;                                                                                   \
      if (t_printed++ < 5) printf("#   %s: %s:%d: CHECK(%s) failed\n", t_current, __FILE__, __LINE__, #cond); \
    }                                                                                                 \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                                            \
  do {                                                                                                \
    long long ta_ = (long long)(a), tb_ = (long long)(b);                                             \
    if (ta_ != tb_) {                                                                                 \
      t_failures++;                                                                                   \
      if (t_printed++ < 5) printf("#   %s: %s:%d: %s == %lld, expected %s == %lld\n", t_current, __FILE__, __LINE__, #a, ta_, #b, tb_); \
    }                                                                                                 \
  } while (0)

#define CHECK_STR(a, b)                                                                               \
  do {                                                                                                \
    const char *ta_ = (a), *tb_ = (b);                                                                \
    if (strcmp(ta_, tb_) != 0) {                                                                      \
      t_failures++;                                                                                   \
      if (t_printed++ < 5) printf("#   %s: %s:%d: %s is \"%s\", expected \"%s\"\n", t_current, __FILE__, __LINE__, #a, ta_, tb_); \
    }                                                                                                 \
  } while (0)

typedef void (*test_fn)(void);
/* runs one test, prints "ok N - name" or "not ok N - name" */
void run_test(const char *name, test_fn fn);
int tests_done(void);

/* ---- bytes --------------------------------------------------------------------------------------------------- */

typedef struct bytes {
  uint8_t *p;
  size_t n;
} bytes;

bytes bytes_from_hex(const char *hex);
bytes bytes_copy(const uint8_t *p, size_t n);
void bytes_free(bytes *b);
void put_be16(uint8_t *p, uint16_t v);
void put_be32(uint32_t v, uint8_t *p);

/* ---- a display on "flash" -------------------------------------------------------------------------------------- */

/* What the hooks persisted, as a display's flash would hold it. */
typedef struct flash {
  int has_seq;
  uint32_t seq;
  int has_ctr;
  uint32_t ctr;
  int has_shown;
  uint8_t shown_hash[WGW_HASH_BYTES];
  uint8_t *shown;
  int has_held;
  wgw_held_info held;
  uint8_t *held_frame;
  size_t frame_bytes;
  /* calls */
  int shows;
  int full_refreshes;
  int seq_stores;
  int ctr_stores;
  int held_stores;
  int shown_loads;
  int held_loads;
  /* fault injection: the n-th call of that hook from now fails (1 = the next); 0 = never */
  int fail_show_in;
  int fail_store_seq_in;
  int fail_store_ctr_in;
  int fail_store_held_in;
} flash;

typedef struct display {
  wgw_device dev;
  flash fl;
  uint8_t *slots[WGW_MAX_SLOTS];
  char id[WGW_ID_MAX + 1];
  uint8_t secret[WGW_SECRET_BYTES];
  uint16_t width;
  uint16_t height;
  uint8_t planes;
  unsigned slot_count;
  /* the largest chunk it takes (0: 4096) */
  uint16_t max_chunk;
} display;

/* A new display (empty flash) for a panel; 0 on success. */
int display_new(display *x, const char *id, const uint8_t secret[WGW_SECRET_BYTES], uint16_t w, uint16_t h, uint8_t planes, unsigned slot_count);
/* Power loss: RAM gone (a fresh wgw_init), flash kept. */
int display_reboot(display *x);
void display_free(display *x);
/* Feeds every chunk; returns the last answer (ack, nak, failure), or WGW_MORE when there was none. */
wgw_result display_feed_all(display *x, bytes *chunks, size_t count, uint64_t now_ms);
/* Sets what the display shows, as if a transfer had put it there (flash and RAM). */
int display_set_shown(display *x, const uint8_t *img, uint32_t last_seq);

/* ---- reference encoder ----------------------------------------------------------------------------------------- */

typedef struct frame {
  uint16_t width;
  uint16_t height;
  uint8_t planes;
  uint8_t *bytes; /* planes back to back */
  size_t n;
  uint8_t hash[WGW_HASH_BYTES];
} frame;

frame frame_new(uint16_t w, uint16_t h, uint8_t planes);
void frame_rehash(frame *f);
void frame_free(frame *f);
/* a frame of pseudo-random "text": mostly paper, some ink, deterministic in seed */
frame frame_random(uint16_t w, uint16_t h, uint8_t planes, uint32_t seed);

typedef struct encode_opts {
  const char *id;
  const uint8_t *secret;
  uint32_t seq;
  /* encoding 1, 2 or 3 (2 and 3 need base) */
  uint8_t encoding;
  const frame *base;
  uint32_t activate_at;
  uint8_t flags;
  uint16_t mtu;
  /* region for 2/3; w == 0: the smallest that contains every change (at least 1 × 1) */
  uint16_t rx, rw, ry, rh;
} encode_opts;

typedef struct transfer {
  bytes *chunks;
  size_t count;
  bytes header; /* the 116 header bytes */
  bytes payload;
} transfer;

transfer encode(const frame *f, const encode_opts *o);
/* Re-cuts header + payload into chunks (after a test changed them), recomputing the header CRC, and the tag unless
   keep_tag. */
void recut(transfer *t, const uint8_t *secret, uint32_t seq, uint16_t mtu, int keep_tag);
void transfer_free(transfer *t);
bytes deflate4k(const uint8_t *p, size_t n);

#endif

/*
 * libFuzzer target: the chunk decoder (wgw_feed, wgw_poll) of the device library, under AddressSanitizer and UBSan.
 * Input format: fuzz/fuzz_input.h. Besides memory errors it checks the protocol's invariants and aborts when one
 * breaks: nothing reaches the panel unless it verified (an ack's hash is the frame shown or held, and that frame
 * hashes to it), a nak changes nothing, and zlib stays inside its arena.
 */
#include "fuzz_input.h"
#include "wgw_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct reader {
  const uint8_t *p;
  size_t n;
  int short_read;
} reader;

static uint8_t get8(reader *r) {
  if (r->n < 1) {
    r->short_read = 1;
    return 0;
  }
  r->n--;
  return *r->p++;
}

static uint16_t get16(reader *r) {
  uint16_t hi = get8(r);
  return (uint16_t)((hi << 8) | get8(r));
}

static uint32_t get32(reader *r) {
  uint32_t hi = get16(r);
  return (hi << 16) | get16(r);
}

/* ---- the display's flash, in static memory ---------------------------------------------------------------------- */

static uint8_t slot_mem[3][FUZZ_MAX_FRAME];
static uint8_t flash_shown[FUZZ_MAX_FRAME];
static uint8_t flash_held[FUZZ_MAX_FRAME];
static uint8_t flash_shown_hash[WGW_HASH_BYTES];
static wgw_held_info flash_held_info;
static int flash_has_shown, flash_has_held, flash_has_seq;
static uint32_t flash_seq, flash_ctr;
static int shows;

static int h_load_seq(void *u, uint32_t *v, int *found) {
  (void)u;
  *v = flash_seq;
  *found = flash_has_seq;
  return 0;
}
static int h_store_seq(void *u, uint32_t v) {
  (void)u;
  flash_seq = v;
  flash_has_seq = 1;
  return 0;
}
static int h_load_ctr(void *u, uint32_t *v, int *found) {
  (void)u;
  *v = flash_ctr;
  *found = 1;
  return 0;
}
static int h_store_ctr(void *u, uint32_t v) {
  (void)u;
  flash_ctr = v;
  return 0;
}
static int h_load_shown(void *u, uint8_t *f, size_t n, uint8_t hash[WGW_HASH_BYTES], int *found) {
  (void)u;
  *found = flash_has_shown;
  if (flash_has_shown) {
    memcpy(f, flash_shown, n);
    memcpy(hash, flash_shown_hash, WGW_HASH_BYTES);
  }
  return 0;
}
static int h_show(void *u, const uint8_t *f, size_t n, const uint8_t hash[WGW_HASH_BYTES], int full) {
  uint8_t check[WGW_HASH_BYTES];
  wgw_device *d = u;
  (void)full;
  /* the invariant that matters most: only a frame that hashes to what the library says reaches the panel */
  wgw_frame_hash(d->cfg.width, d->cfg.height, d->cfg.planes, f, n, check);
  if (memcmp(check, hash, WGW_HASH_BYTES) != 0) {
    fprintf(stderr, "shown frame does not hash to its hash\n");
    abort();
  }
  memcpy(flash_shown, f, n);
  memcpy(flash_shown_hash, hash, WGW_HASH_BYTES);
  flash_has_shown = 1;
  shows++;
  return 0;
}
static int h_load_held(void *u, uint8_t *f, size_t n, wgw_held_info *info, int *found) {
  (void)u;
  *found = flash_has_held;
  if (flash_has_held) {
    memcpy(f, flash_held, n);
    *info = flash_held_info;
  }
  return 0;
}
static int h_store_held(void *u, const uint8_t *f, size_t n, const wgw_held_info *info) {
  (void)u;
  if (f == NULL) {
    flash_has_held = 0;
    return 0;
  }
  memcpy(flash_held, f, n);
  flash_held_info = *info;
  flash_has_held = 1;
  return 0;
}

static wgw_device dev;

static void check_answer(const wgw_result *r, const uint8_t *shown_before, int had_shown, int shows_before) {
  if (r->status == WGW_ACK) {
    const uint8_t *shown = wgw_shown_hash(&dev);
    const uint8_t *held = wgw_held_hash(&dev);
    int matches = (shown && memcmp(shown, r->hash, WGW_HASH_BYTES) == 0) || (held && memcmp(held, r->hash, WGW_HASH_BYTES) == 0);
    if (!matches) {
      fprintf(stderr, "an ack for a frame neither shown nor held\n");
      abort();
    }
  } else if (r->status == WGW_NAK) {
    /* a refused transfer changes nothing on screen */
    const uint8_t *shown = wgw_shown_hash(&dev);
    if (shows != shows_before || (had_shown != (shown != NULL)) || (shown && memcmp(shown, shown_before, WGW_HASH_BYTES) != 0)) {
      fprintf(stderr, "a nak changed the screen\n");
      abort();
    }
    if (r->reason == WGW_NAK_NONE || wgw_nak_reason_name(r->reason)[0] == '\0') abort();
  }
  if (wgw_inflate_arena_peak(&dev) > WGW_INFLATE_ARENA_BYTES) abort();
}

static void feed(const uint8_t *c, size_t n, uint64_t now_ms) {
  wgw_result r;
  uint8_t before[WGW_HASH_BYTES];
  int had = wgw_shown_hash(&dev) != NULL;
  int shows_before = shows;
  char msg[1024];
  size_t len;
  if (had) memcpy(before, wgw_shown_hash(&dev), WGW_HASH_BYTES);
  wgw_feed(&dev, c, n, now_ms, &r);
  check_answer(&r, before, had, shows_before);
  /* and the answer's message can always be written */
  if (r.status == WGW_ACK && wgw_msg_ack(&dev, &r, msg, sizeof msg, &len) != WGW_OK) abort();
  if (r.status == WGW_NAK && wgw_msg_nak(&dev, &r, msg, sizeof msg, &len) != WGW_OK) abort();
}

static void be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Signs a header + payload as the controller would and feeds it cut at the MTU — twice (the second is rule R's). */
static void signed_transfer(reader *in, uint64_t now_ms, uint16_t max_chunk) {
  uint8_t head[WGW_HEADER_BYTES];
  uint8_t chunk[4096];
  const uint8_t *payload;
  size_t payload_n, total, per, count, i;
  unsigned round;
  uint16_t mtu = get16(in);
  uint8_t mac[WGW_HASH_BYTES];
  wgw_hmac m;
  if (in->n < WGW_HEADER_BYTES) return;
  memcpy(head, in->p, WGW_HEADER_BYTES);
  payload = in->p + WGW_HEADER_BYTES;
  payload_n = in->n - WGW_HEADER_BYTES;
  if (mtu < WGW_MIN_CHUNK) mtu = WGW_MIN_CHUNK;
  if (mtu > max_chunk) mtu = max_chunk;
  if (mtu > sizeof chunk) mtu = sizeof chunk;
  wgw_hmac_start(&m, FUZZ_SECRET, sizeof FUZZ_SECRET);
  wgw_hmac_update(&m, head, WGW_HMAC_COVERED_HEADER);
  wgw_hmac_update(&m, payload, payload_n);
  wgw_hmac_finish(&m, mac);
  wgw_hmac_free(&m);
  memcpy(head + 96, mac, WGW_TAG_BYTES);
  be32(head + 112, (uint32_t)crc32(0L, head, 112));
  total = WGW_HEADER_BYTES + payload_n;
  per = (size_t)mtu - WGW_CHUNK_OVERHEAD;
  count = (total + per - 1) / per;
  if (count > 0xffff) return;
  for (round = 0; round < 2; round++) {
    for (i = 0; i < count; i++) {
      size_t off = i * per;
      size_t n = total - off < per ? total - off : per;
      size_t k;
      /* the chunk's seq is the header's: the chunks belong to this transfer */
      memcpy(chunk, head + 12, 4);
      chunk[4] = (uint8_t)(i >> 8);
      chunk[5] = (uint8_t)i;
      chunk[6] = (uint8_t)(count >> 8);
      chunk[7] = (uint8_t)count;
      chunk[8] = (uint8_t)(n >> 8);
      chunk[9] = (uint8_t)n;
      for (k = 0; k < n; k++) chunk[10 + k] = off + k < WGW_HEADER_BYTES ? head[off + k] : payload[off + k - WGW_HEADER_BYTES];
      be32(chunk + 10 + n, (uint32_t)crc32(0L, chunk, (uInt)(10 + n)));
      feed(chunk, 14 + n, now_ms);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader in;
  wgw_config cfg;
  uint8_t mode, planes, slots, id_len, bits;
  uint16_t width, height, max_chunk;
  uint32_t last_seq, held_at;
  char id[WGW_ID_MAX + 1];
  size_t frame_bytes;
  uint64_t now_ms;
  unsigned i;
  in.p = data;
  in.n = size;
  in.short_read = 0;
  mode = get8(&in);
  width = get16(&in);
  height = get16(&in);
  planes = (uint8_t)(get8(&in) % 2u + 1u);
  slots = (uint8_t)(get8(&in) % 3u + 1u);
  max_chunk = get16(&in);
  if (max_chunk < WGW_MIN_CHUNK) max_chunk = WGW_MIN_CHUNK;
  if (width == 0) width = 1;
  if (height == 0) height = 1;
  frame_bytes = WGW_FRAME_BYTES(width, height, planes);
  if (frame_bytes > FUZZ_MAX_FRAME) return 0;
  id_len = get8(&in);
  if (id_len == 0 || id_len > WGW_ID_MAX || in.n < id_len) return 0;
  memcpy(id, in.p, id_len);
  id[id_len] = '\0';
  in.p += id_len;
  in.n -= id_len;
  if (!wgw_valid_id(id)) return 0;
  last_seq = get32(&in);
  bits = get8(&in);
  held_at = get32(&in);
  flash_has_seq = last_seq != 0;
  flash_seq = last_seq;
  flash_ctr = 0;
  flash_has_shown = 0;
  flash_has_held = 0;
  if ((bits & 1u) && in.n >= frame_bytes) {
    memcpy(flash_shown, in.p, frame_bytes);
    wgw_frame_hash(width, height, planes, flash_shown, frame_bytes, flash_shown_hash);
    flash_has_shown = 1;
    in.p += frame_bytes;
    in.n -= frame_bytes;
  }
  if ((bits & 2u) && in.n >= frame_bytes) {
    memcpy(flash_held, in.p, frame_bytes);
    wgw_frame_hash(width, height, planes, flash_held, frame_bytes, flash_held_info.hash);
    flash_held_info.seq = last_seq;
    flash_held_info.activate_at = held_at;
    flash_has_held = 1;
    in.p += frame_bytes;
    in.n -= frame_bytes;
  }
  now_ms = (uint64_t)get32(&in) * 1000u;
  if (in.short_read) return 0;

  memset(&cfg, 0, sizeof cfg);
  cfg.id = id;
  memcpy(cfg.secret, FUZZ_SECRET, sizeof FUZZ_SECRET);
  cfg.width = width;
  cfg.height = height;
  cfg.planes = planes;
  /* each frame ends where its buffer ends: a byte written past the frame hits AddressSanitizer's red zone */
  for (i = 0; i < slots; i++) cfg.slots[i] = slot_mem[i] + (FUZZ_MAX_FRAME - frame_bytes);
  cfg.slot_count = slots;
  cfg.slot_bytes = frame_bytes;
  cfg.max_chunk = max_chunk;
  cfg.hooks.user = &dev;
  cfg.hooks.load_seq = h_load_seq;
  cfg.hooks.store_seq = h_store_seq;
  cfg.hooks.load_ctr = h_load_ctr;
  cfg.hooks.store_ctr = h_store_ctr;
  cfg.hooks.load_shown = h_load_shown;
  cfg.hooks.show = h_show;
  cfg.hooks.load_held = h_load_held;
  cfg.hooks.store_held = h_store_held;
  shows = 0;
  if (wgw_init(&dev, &cfg) != WGW_OK) abort();

  if (mode % 2u == 1u) {
    signed_transfer(&in, now_ms, max_chunk);
    return 0;
  }
  while (in.n >= 3) {
    uint16_t len = get16(&in);
    uint8_t dt = get8(&in);
    now_ms += (uint64_t)dt * 1000u;
    if (len == FUZZ_POLL_RECORD) {
      if (wgw_poll(&dev, now_ms) < 0) abort();
      continue;
    }
    if (len > in.n) len = (uint16_t)in.n;
    feed(in.p, len, now_ms);
    in.p += len;
    in.n -= len;
  }
  return 0;
}

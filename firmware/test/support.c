#include "support.h"

#include <mbedtls/md.h>
#include <zlib.h>

int t_failures = 0;
int t_printed = 0;
const char *t_current = "";
static int t_count = 0;
static int t_failed_tests = 0;

void run_test(const char *name, test_fn fn) {
  int before = t_failures;
  t_current = name;
  t_printed = 0;
  fn();
  t_count++;
  if (t_failures == before) {
    printf("ok %d - %s\n", t_count, name);
  } else {
    t_failed_tests++;
    printf("not ok %d - %s\n", t_count, name);
  }
  fflush(stdout);
}

int tests_done(void) {
  printf("1..%d\n# tests %d passed %d failed %d\n", t_count, t_count, t_count - t_failed_tests, t_failed_tests);
  return t_failed_tests == 0 ? 0 : 1;
}

/* ---- bytes --------------------------------------------------------------------------------------------------- */

bytes bytes_from_hex(const char *hex) {
  bytes b;
  size_t i;
  size_t o = 0;
  size_t len = strlen(hex);
  b.p = malloc(len / 2 + 1);
  for (i = 0; i + 1 < len + 1 && hex[i] != '\0';) {
    unsigned v;
    if (hex[i] == ' ' || hex[i] == '\n') {
      i++;
      continue;
    }
    if (sscanf(hex + i, "%2x", &v) != 1) break;
    b.p[o++] = (uint8_t)v;
    i += 2;
  }
  b.n = o;
  return b;
}

bytes bytes_copy(const uint8_t *p, size_t n) {
  bytes b;
  b.p = malloc(n ? n : 1);
  if (n) memcpy(b.p, p, n);
  b.n = n;
  return b;
}

void bytes_free(bytes *b) {
  free(b->p);
  b->p = NULL;
  b->n = 0;
}

void put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

void put_be32(uint32_t v, uint8_t *p) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* ---- flash hooks ------------------------------------------------------------------------------------------------ */

static int fails(int *counter) {
  if (*counter == 0) return 0;
  if (--*counter == 0) return 1;
  return 0;
}

static int h_load_seq(void *u, uint32_t *seq, int *found) {
  flash *f = u;
  *found = f->has_seq;
  *seq = f->seq;
  return 0;
}
static int h_store_seq(void *u, uint32_t seq) {
  flash *f = u;
  if (fails(&f->fail_store_seq_in)) return -1;
  f->has_seq = 1;
  f->seq = seq;
  f->seq_stores++;
  return 0;
}
static int h_load_ctr(void *u, uint32_t *v, int *found) {
  flash *f = u;
  *found = f->has_ctr;
  *v = f->ctr;
  return 0;
}
static int h_store_ctr(void *u, uint32_t v) {
  flash *f = u;
  if (fails(&f->fail_store_ctr_in)) return -1;
  f->has_ctr = 1;
  f->ctr = v;
  f->ctr_stores++;
  return 0;
}
static int h_load_shown(void *u, uint8_t *img, size_t n, uint8_t hash[WGW_HASH_BYTES], int *found) {
  flash *f = u;
  *found = f->has_shown;
  f->shown_loads++;
  if (f->has_shown) {
    memcpy(img, f->shown, n);
    memcpy(hash, f->shown_hash, WGW_HASH_BYTES);
  }
  return 0;
}
static int h_show(void *u, const uint8_t *img, size_t n, const uint8_t hash[WGW_HASH_BYTES], int full) {
  flash *f = u;
  if (fails(&f->fail_show_in)) return -1; /* the power went before the panel changed */
  memcpy(f->shown, img, n);
  memcpy(f->shown_hash, hash, WGW_HASH_BYTES);
  f->has_shown = 1;
  f->shows++;
  if (full) f->full_refreshes++;
  return 0;
}
static int h_load_held(void *u, uint8_t *img, size_t n, wgw_held_info *info, int *found) {
  flash *f = u;
  *found = f->has_held;
  f->held_loads++;
  if (f->has_held) {
    memcpy(img, f->held_frame, n);
    *info = f->held;
  }
  return 0;
}
static int h_store_held(void *u, const uint8_t *img, size_t n, const wgw_held_info *info) {
  flash *f = u;
  if (fails(&f->fail_store_held_in)) return -1;
  f->held_stores++;
  if (img == NULL) {
    f->has_held = 0;
    return 0;
  }
  memcpy(f->held_frame, img, n);
  f->held = *info;
  f->has_held = 1;
  return 0;
}

static int display_init(display *x) {
  wgw_config c;
  unsigned i;
  memset(&c, 0, sizeof c);
  c.id = x->id;
  memcpy(c.secret, x->secret, WGW_SECRET_BYTES);
  c.width = x->width;
  c.height = x->height;
  c.planes = x->planes;
  for (i = 0; i < x->slot_count; i++) c.slots[i] = x->slots[i];
  c.slot_count = x->slot_count;
  c.slot_bytes = x->fl.frame_bytes;
  c.max_chunk = x->max_chunk ? x->max_chunk : 4096;
  c.hooks.user = &x->fl;
  c.hooks.load_seq = h_load_seq;
  c.hooks.store_seq = h_store_seq;
  c.hooks.load_ctr = h_load_ctr;
  c.hooks.store_ctr = h_store_ctr;
  c.hooks.load_shown = h_load_shown;
  c.hooks.show = h_show;
  c.hooks.load_held = h_load_held;
  c.hooks.store_held = h_store_held;
  return wgw_init(&x->dev, &c);
}

int display_new(display *x, const char *id, const uint8_t secret[WGW_SECRET_BYTES], uint16_t w, uint16_t h, uint8_t planes, unsigned slot_count) {
  unsigned i;
  size_t n = WGW_FRAME_BYTES(w, h, planes);
  memset(x, 0, sizeof *x);
  snprintf(x->id, sizeof x->id, "%s", id);
  memcpy(x->secret, secret, WGW_SECRET_BYTES);
  x->width = w;
  x->height = h;
  x->planes = planes;
  x->slot_count = slot_count;
  for (i = 0; i < slot_count; i++) x->slots[i] = calloc(1, n);
  x->fl.frame_bytes = n;
  x->fl.shown = calloc(1, n);
  x->fl.held_frame = calloc(1, n);
  return display_init(x);
}

int display_reboot(display *x) {
  unsigned i;
  /* RAM is gone: the frame buffers too (only flash and the panel keep anything) */
  for (i = 0; i < x->slot_count; i++) memset(x->slots[i], 0xA5, x->fl.frame_bytes);
  memset(&x->dev, 0x5A, sizeof x->dev);
  return display_init(x);
}

void display_free(display *x) {
  unsigned i;
  for (i = 0; i < x->slot_count; i++) free(x->slots[i]);
  free(x->fl.shown);
  free(x->fl.held_frame);
}

wgw_result display_feed_all(display *x, bytes *chunks, size_t count, uint64_t now_ms) {
  wgw_result last;
  size_t i;
  memset(&last, 0, sizeof last);
  last.status = WGW_MORE;
  for (i = 0; i < count; i++) {
    wgw_result r;
    wgw_feed(&x->dev, chunks[i].p, chunks[i].n, now_ms, &r);
    if (r.status != WGW_MORE && r.status != WGW_QUIET) last = r;
  }
  return last;
}

int display_set_shown(display *x, const uint8_t *img, uint32_t last_seq) {
  memcpy(x->fl.shown, img, x->fl.frame_bytes);
  wgw_frame_hash(x->width, x->height, x->planes, img, x->fl.frame_bytes, x->fl.shown_hash);
  x->fl.has_shown = 1;
  x->fl.has_seq = 1;
  x->fl.seq = last_seq;
  return display_reboot(x);
}

/* ---- frames and the reference encoder --------------------------------------------------------------------------- */

frame frame_new(uint16_t w, uint16_t h, uint8_t planes) {
  frame f;
  f.width = w;
  f.height = h;
  f.planes = planes;
  f.n = WGW_FRAME_BYTES(w, h, planes);
  f.bytes = calloc(1, f.n);
  frame_rehash(&f);
  return f;
}

void frame_rehash(frame *f) {
  wgw_frame_hash(f->width, f->height, f->planes, f->bytes, f->n, f->hash);
}

void frame_free(frame *f) {
  free(f->bytes);
  f->bytes = NULL;
}

frame frame_random(uint16_t w, uint16_t h, uint8_t planes, uint32_t seed) {
  frame f = frame_new(w, h, planes);
  uint32_t s = seed * 2654435761u + 1u;
  size_t i;
  size_t plane = WGW_PLANE_BYTES(w, h);
  for (i = 0; i < f.n; i++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    /* mostly paper; a red pixel is never also black */
    f.bytes[i] = (s % 5u == 0) ? (uint8_t)(s >> 8) : 0;
    if (i >= plane) f.bytes[i] = (uint8_t)(f.bytes[i] & (uint8_t)~f.bytes[i - plane]);
  }
  frame_rehash(&f);
  return f;
}

bytes deflate4k(const uint8_t *p, size_t n) {
  z_stream z;
  bytes out;
  size_t cap = compressBound((uLong)n) + 64;
  memset(&z, 0, sizeof z);
  out.p = malloc(cap);
  deflateInit2(&z, 9, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY);
  z.next_in = (Bytef *)(uintptr_t)p;
  z.avail_in = (uInt)n;
  z.next_out = out.p;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  out.n = cap - z.avail_out;
  deflateEnd(&z);
  return out;
}

static void tag_and_crc(uint8_t *head, const uint8_t *secret, const uint8_t *payload, size_t n, int keep_tag) {
  if (!keep_tag) {
    uint8_t mac[32];
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
    mbedtls_md_hmac_starts(&md, secret, WGW_SECRET_BYTES);
    mbedtls_md_hmac_update(&md, head, WGW_HMAC_COVERED_HEADER);
    mbedtls_md_hmac_update(&md, payload, n);
    mbedtls_md_hmac_finish(&md, mac);
    mbedtls_md_free(&md);
    memcpy(head + 96, mac, WGW_TAG_BYTES);
  }
  put_be32((uint32_t)crc32(0L, head, 112), head + 112);
}

void recut(transfer *t, const uint8_t *secret, uint32_t seq, uint16_t mtu, int keep_tag) {
  size_t per = (size_t)mtu - WGW_CHUNK_OVERHEAD;
  size_t total = t->header.n + t->payload.n;
  uint8_t *stream = malloc(total);
  size_t i;
  for (i = 0; i < t->count; i++) bytes_free(&t->chunks[i]);
  free(t->chunks);
  if (t->header.n == WGW_HEADER_BYTES) tag_and_crc(t->header.p, secret, t->payload.p, t->payload.n, keep_tag);
  memcpy(stream, t->header.p, t->header.n);
  if (t->payload.n) memcpy(stream + t->header.n, t->payload.p, t->payload.n);
  t->count = (total + per - 1) / per;
  t->chunks = calloc(t->count ? t->count : 1, sizeof(bytes));
  for (i = 0; i < t->count; i++) {
    size_t off = i * per;
    size_t n = total - off < per ? total - off : per;
    bytes c;
    c.n = n + WGW_CHUNK_OVERHEAD;
    c.p = malloc(c.n);
    put_be32(seq, c.p);
    put_be16(c.p + 4, (uint16_t)i);
    put_be16(c.p + 6, (uint16_t)t->count);
    put_be16(c.p + 8, (uint16_t)n);
    memcpy(c.p + 10, stream + off, n);
    put_be32((uint32_t)crc32(0L, c.p, (uInt)(10 + n)), c.p + 10 + n);
    t->chunks[i] = c;
  }
  free(stream);
}

transfer encode(const frame *f, const encode_opts *o) {
  transfer t;
  size_t stride = ((size_t)f->width + 7u) / 8u;
  size_t plane = stride * f->height;
  uint16_t rx = 0, rw = (uint16_t)stride, ry = 0, rh = f->height;
  uint8_t *region;
  size_t k = 0;
  unsigned p;
  size_t x, y;
  uint8_t *h;
  memset(&t, 0, sizeof t);
  if (o->encoding != 1) {
    if (o->rw != 0) {
      rx = o->rx;
      rw = o->rw;
      ry = o->ry;
      rh = o->rh;
    } else {
      size_t x0 = stride, x1 = 0, y0 = f->height, y1 = 0;
      int any = 0;
      for (p = 0; p < f->planes; p++)
        for (y = 0; y < f->height; y++)
          for (x = 0; x < stride; x++)
            if (f->bytes[p * plane + y * stride + x] != o->base->bytes[p * plane + y * stride + x]) {
              any = 1;
              if (x < x0) x0 = x;
              if (x > x1) x1 = x;
              if (y < y0) y0 = y;
              if (y > y1) y1 = y;
            }
      if (!any) x0 = x1 = y0 = y1 = 0;
      rx = (uint16_t)x0;
      rw = (uint16_t)(x1 - x0 + 1);
      ry = (uint16_t)y0;
      rh = (uint16_t)(y1 - y0 + 1);
    }
  }
  region = malloc((size_t)f->planes * rw * rh + 1);
  for (p = 0; p < f->planes; p++)
    for (y = ry; y < (size_t)ry + rh; y++)
      for (x = rx; x < (size_t)rx + rw; x++) {
        size_t i = p * plane + y * stride + x;
        region[k++] = (uint8_t)(f->bytes[i] ^ (o->encoding == 2 ? o->base->bytes[i] : 0));
      }
  t.payload = deflate4k(region, k);
  free(region);
  t.header.n = WGW_HEADER_BYTES;
  t.header.p = calloc(1, WGW_HEADER_BYTES);
  h = t.header.p;
  memcpy(h, "WGW1", 4);
  h[4] = 1;
  h[5] = o->encoding;
  h[6] = f->planes;
  h[7] = o->flags;
  put_be16(h + 8, f->width);
  put_be16(h + 10, f->height);
  put_be32(o->seq, h + 12);
  put_be32(o->activate_at, h + 16);
  put_be32((uint32_t)t.payload.n, h + 20);
  put_be16(h + 24, rx);
  put_be16(h + 26, rw);
  put_be16(h + 28, ry);
  put_be16(h + 30, rh);
  memcpy(h + 32, o->id, strlen(o->id));
  memcpy(h + 64, f->hash, 16);
  if (o->encoding != 1) memcpy(h + 80, o->base->hash, 16);
  recut(&t, o->secret, o->seq, o->mtu ? o->mtu : 128, 0);
  return t;
}

void transfer_free(transfer *t) {
  size_t i;
  for (i = 0; i < t->count; i++) bytes_free(&t->chunks[i]);
  free(t->chunks);
  bytes_free(&t->header);
  bytes_free(&t->payload);
  t->chunks = NULL;
  t->count = 0;
}

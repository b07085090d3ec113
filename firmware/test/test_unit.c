/*
 * Unit tests of the device library: the spec's golden vector, every encoding, every nak reason, and the faults of
 * issue 10 — truncated, reordered, duplicated and bit-flipped chunks, an abandoned transfer, a transfer larger than
 * the panel, a power loss between persisting the sequence number and showing the frame — plus device messages,
 * control messages and the MQTT password. The vector files (docs/vectors) are checked in test_vectors.c.
 */
#include "support.h"
#include "tests.h"
#include "wgw_internal.h"

#include <mbedtls/md.h>
#include <zlib.h>

static const uint8_t SECRET[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t OTHER_SECRET[32] = {9};
#define T0 1800000000000ull /* the display's clock in these tests, unix ms */

#define STARTS_WITH(s, lit) (strncmp((s), (lit), sizeof(lit) - 1) == 0)

static int has_reason(const wgw_result *r, wgw_nak_reason reason) {
  return r->status == WGW_NAK && r->reason == reason;
}

/* ---- the spec's golden vector (docs/protocol.md) ---------------------------------------------------------- */

static void golden_vector(void) {
  static const char *chunks[] = {
      "00000007 0000 0003 0032 57475731 01 01 01 00 0010 0002 00000007 00000000 00000006 0000 0002 0000 0002 "
      "64732d676f6c64656e000000000000000000 2ff60833",
      "00000007 0001 0003 0032 0000000000000000000000000000 a5ecea50d1d59a21c9bd1b529ac0dc8d "
      "00000000000000000000000000000000 6dec8a12 b4f96f64",
      "00000007 0002 0003 0016 7dd504b0d65deaeb663b5cc8 e11acf8a 5b15caff0100 901030c4"};
  static const uint8_t planes[4] = {0xaa, 0x55, 0x0f, 0xf0};
  bytes c[3];
  display x;
  wgw_result r = {0};
  char hex[65];
  size_t i;
  CHECK_EQ_INT(display_new(&x, "ds-golden", SECRET, 16, 2, 1, 3), WGW_OK);
  for (i = 0; i < 3; i++) c[i] = bytes_from_hex(chunks[i]);
  r = display_feed_all(&x, c, 3, T0);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK_EQ_INT(r.seq, 7);
  CHECK_EQ_INT(r.activate_at, 0);
  wgw_hex(r.hash, 32, hex);
  CHECK_STR(hex, "a5ecea50d1d59a21c9bd1b529ac0dc8deed21f40fc6fa6069e92d88b49a6cf67");
  CHECK(memcmp(x.fl.shown, planes, 4) == 0);
  CHECK_EQ_INT(x.fl.seq, 7);
  CHECK_EQ_INT(x.fl.full_refreshes, 1);
  for (i = 0; i < 3; i++) bytes_free(&c[i]);
  display_free(&x);
}

/* ---- crypto against references ----------------------------------------------------------------------------- */

static void hmac_matches_rfc4231_and_mbedtls(void) {
  /* RFC 4231 test case 2: key "Jefe" */
  static const char *expect = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  static const char msg[] = "what do ya want for nothing?";
  wgw_hmac m;
  uint8_t out[32], ref[32], data[300];
  char hex[65];
  size_t len, i;
  wgw_hmac_start(&m, (const uint8_t *)"Jefe", 4);
  wgw_hmac_update(&m, (const uint8_t *)msg, sizeof msg - 1);
  wgw_hmac_finish(&m, out);
  wgw_hmac_free(&m);
  wgw_hex(out, 32, hex);
  CHECK_STR(hex, expect);
  for (i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7u + 3u);
  for (len = 0; len <= sizeof data; len += 37) {
    wgw_hmac_start(&m, SECRET, 32);
    wgw_hmac_update(&m, data, len / 2);
    wgw_hmac_update(&m, data + len / 2, len - len / 2);
    wgw_hmac_finish(&m, out);
    wgw_hmac_free(&m);
    CHECK(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), SECRET, 32, data, len, ref) == 0);
    CHECK(memcmp(out, ref, 32) == 0);
  }
}

static void mqtt_password_is_base64url_of_the_hmac(void) {
  char pw[WGW_MQTT_PASSWORD_CHARS];
  uint8_t mac[32];
  static const char label[] = "wegweiser mqtt password v1";
  static const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t i;
  wgw_mqtt_password(SECRET, pw);
  CHECK_EQ_INT(strlen(pw), 43);
  CHECK(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), SECRET, 32, (const uint8_t *)label, sizeof label - 1, mac) == 0);
  /* decode the 43 characters back and compare bit for bit */
  {
    uint8_t back[33];
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (i = 0; i < 43; i++) {
      const char *p = strchr(alphabet, pw[i]);
      CHECK(p != NULL && *p != '\0');
      if (p == NULL) return;
      acc = (acc << 6) | (uint32_t)(p - alphabet);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        back[o++] = (uint8_t)(acc >> bits);
      }
    }
    CHECK_EQ_INT(o, 32);
    CHECK(memcmp(back, mac, 32) == 0);
  }
}

/* ---- encodings ---------------------------------------------------------------------------------------------- */

static void every_encoding_round_trips(void) {
  static const uint8_t planes_of[] = {1, 2};
  size_t pi;
  for (pi = 0; pi < 2; pi++) {
    uint8_t planes = planes_of[pi];
    display x;
    frame a = frame_random(200, 60, planes, 1);
    frame b = frame_new(200, 60, planes);
    frame c = frame_new(200, 60, planes);
    encode_opts o;
    transfer t;
    wgw_result r;
    size_t i;
    CHECK_EQ_INT(display_new(&x, "ds-1", SECRET, 200, 60, planes, 3), WGW_OK);
    memset(&o, 0, sizeof o);
    o.id = "ds-1";
    o.secret = SECRET;
    o.seq = 1;
    o.encoding = 1;
    o.mtu = 128;
    t = encode(&a, &o);
    r = display_feed_all(&x, t.chunks, t.count, T0);
    CHECK_EQ_INT(r.status, WGW_ACK);
    CHECK(r.changed);
    CHECK(memcmp(x.fl.shown, a.bytes, a.n) == 0);
    transfer_free(&t);

    /* XOR delta: text changed in place */
    memcpy(b.bytes, a.bytes, a.n);
    for (i = 1000; i < 1100; i++) b.bytes[i] ^= 0x3c;
    if (planes == 2) {
      for (i = 0; i < a.n / 2; i++) b.bytes[a.n / 2 + i] &= (uint8_t)~b.bytes[i];
    }
    frame_rehash(&b);
    o.seq = 2;
    o.encoding = 2;
    o.base = &a;
    t = encode(&b, &o);
    r = display_feed_all(&x, t.chunks, t.count, T0);
    CHECK_EQ_INT(r.status, WGW_ACK);
    CHECK(memcmp(x.fl.shown, b.bytes, b.n) == 0);
    CHECK_EQ_INT(x.fl.full_refreshes, 1); /* a delta is a partial refresh */
    transfer_free(&t);

    /* region content: an area turns white; every plane gets the same region */
    memcpy(c.bytes, b.bytes, b.n);
    for (i = 0; i < c.n; i++)
      if ((i % 25) >= 5 && (i % 25) < 12 && (i / 25) % 60 >= 10 && (i / 25) % 60 < 30) c.bytes[i] = 0;
    frame_rehash(&c);
    o.seq = 3;
    o.encoding = 3;
    o.base = &b;
    o.flags = WGW_FLAG_FULL_REFRESH;
    t = encode(&c, &o);
    r = display_feed_all(&x, t.chunks, t.count, T0);
    CHECK_EQ_INT(r.status, WGW_ACK);
    CHECK(memcmp(x.fl.shown, c.bytes, c.n) == 0);
    CHECK_EQ_INT(x.fl.full_refreshes, 2); /* the flag asks for one */
    CHECK(wgw_inflate_arena_peak(&x.dev) <= WGW_INFLATE_ARENA_BYTES);
    transfer_free(&t);

    frame_free(&a);
    frame_free(&b);
    frame_free(&c);
    display_free(&x);
  }
}

static void smallest_region_one_byte_one_row(void) {
  display x;
  frame a = frame_random(64, 8, 1, 2);
  frame b = frame_new(64, 8, 1);
  encode_opts o;
  transfer t;
  wgw_result r = {0};
  CHECK_EQ_INT(display_new(&x, "ds-1", SECRET, 64, 8, 1, 2), WGW_OK);
  CHECK_EQ_INT(display_set_shown(&x, a.bytes, 4), WGW_OK);
  memcpy(b.bytes, a.bytes, a.n);
  b.bytes[8 * 7 + 7] ^= 0x81; /* the last byte of the last row */
  frame_rehash(&b);
  memset(&o, 0, sizeof o);
  o.id = "ds-1";
  o.secret = SECRET;
  o.seq = 5;
  o.encoding = 2;
  o.base = &a;
  o.mtu = 32;
  t = encode(&b, &o);
  CHECK_EQ_INT(t.header.p[27], 1);
  CHECK_EQ_INT(t.header.p[31], 1);
  r = display_feed_all(&x, t.chunks, t.count, T0);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK(memcmp(x.fl.shown, b.bytes, b.n) == 0);
  transfer_free(&t);
  frame_free(&a);
  frame_free(&b);
  display_free(&x);
}

/* ---- helpers for the refusal tests ---------------------------------------------------------------------------- */

typedef struct scene {
  display x;
  frame shown; /* on the display, accepted as seq 10 */
  frame next;  /* what the controller sends next */
  encode_opts o;
} scene;

static void scene_open(scene *s, unsigned slots) {
  size_t i;
  display_new(&s->x, "ds-1", SECRET, 96, 20, 1, slots);
  s->shown = frame_random(96, 20, 1, 11);
  s->next = frame_new(96, 20, 1);
  memcpy(s->next.bytes, s->shown.bytes, s->shown.n);
  for (i = 30; i < 50; i++) s->next.bytes[i] ^= 0x5a;
  frame_rehash(&s->next);
  display_set_shown(&s->x, s->shown.bytes, 10);
  memset(&s->o, 0, sizeof s->o);
  s->o.id = "ds-1";
  s->o.secret = SECRET;
  s->o.seq = 11;
  s->o.encoding = 2;
  s->o.base = &s->shown;
  s->o.mtu = 40;
}

static void scene_close(scene *s) {
  frame_free(&s->shown);
  frame_free(&s->next);
  display_free(&s->x);
}

/* the display still shows what it showed, and kept its number */
static void unchanged(scene *s) {
  CHECK(memcmp(s->x.fl.shown, s->shown.bytes, s->shown.n) == 0);
  CHECK_EQ_INT(s->x.fl.seq, 10);
  CHECK_EQ_INT(s->x.fl.shows, 0);
}

static wgw_result feed_one(scene *s, const bytes *c) {
  wgw_result r = {0};
  wgw_feed(&s->x.dev, c->p, c->n, T0, &r);
  return r;
}

/* ---- every nak reason ----------------------------------------------------------------------------------------- */

static void nak_truncated(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  /* the header announces one payload byte more than the transfer carries */
  put_be32((uint32_t)t.payload.n + 1u, t.header.p + 20);
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_TRUNCATED));
  CHECK_EQ_INT(r.seq, 11);
  /* … and one byte fewer: the transfer is larger than its header says */
  transfer_free(&t);
  t = encode(&s.next, &s.o);
  put_be32((uint32_t)t.payload.n - 1u, t.header.p + 20);
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_SIZE));
  transfer_free(&t);
  /* a transfer that ends inside its header */
  t = encode(&s.next, &s.o);
  t.header.n = 100;
  bytes_free(&t.payload);
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_TRUNCATED));
  t.header.n = WGW_HEADER_BYTES;
  transfer_free(&t);
  unchanged(&s);
  scene_close(&s);
}

static void nak_bad_magic_version_crc(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  t.header.p[0] = 'X';
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_MAGIC));
  transfer_free(&t);

  t = encode(&s.next, &s.o);
  t.header.p[4] = 2;
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_VERSION));
  transfer_free(&t);

  /* header CRC: the field itself damaged (chunk CRCs recomputed, so only the header's can tell) */
  t = encode(&s.next, &s.o);
  recut(&t, SECRET, 11, 40, 0);
  {
    transfer u = t;
    size_t i;
    uint8_t *c1;
    u.chunks = calloc(t.count, sizeof(bytes));
    for (i = 0; i < t.count; i++) u.chunks[i] = bytes_copy(t.chunks[i].p, t.chunks[i].n);
    /* byte 112 of the stream is in chunk 112 / 26 = 4 at offset 112 % 26 = 8 */
    c1 = u.chunks[4].p;
    c1[10 + 8] ^= 1;
    put_be32((uint32_t)crc32(0L, c1, (uInt)(u.chunks[4].n - 4)), c1 + u.chunks[4].n - 4);
    r = display_feed_all(&s.x, u.chunks, u.count, T0);
    CHECK(has_reason(&r, WGW_NAK_BAD_CRC));
    for (i = 0; i < u.count; i++) bytes_free(&u.chunks[i]);
    free(u.chunks);
  }
  transfer_free(&t);
  unchanged(&s);
  scene_close(&s);
}

static void nak_bad_encoding(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  scene_open(&s, 3);
  /* an unknown encoding, encoding 0 among them */
  t = encode(&s.next, &s.o);
  t.header.p[5] = 0;
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_ENCODING));
  t.header.p[5] = 4;
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_ENCODING));
  transfer_free(&t);
  /* reserved flag bits */
  s.o.flags = 0x02;
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_ENCODING));
  transfer_free(&t);
  s.o.flags = 0x80;
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_ENCODING));
  transfer_free(&t);
  s.o.flags = 0;
  /* a full frame with a base hash */
  s.o.encoding = 1;
  t = encode(&s.next, &s.o);
  t.header.p[80] = 1;
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_ENCODING));
  transfer_free(&t);
  unchanged(&s);
  scene_close(&s);
}

static void nak_wrong_display(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  scene_open(&s, 3);
  s.o.id = "ds-2";
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_WRONG_DISPLAY));
  transfer_free(&t);
  /* our id as a prefix of another's */
  s.o.id = "ds-10";
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_WRONG_DISPLAY));
  transfer_free(&t);
  unchanged(&s);
  scene_close(&s);
}

static void nak_bad_size(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  frame big = frame_random(104, 20, 1, 3);
  frame two = frame_random(96, 20, 2, 3);
  scene_open(&s, 3);
  /* a frame larger than the panel */
  s.o.encoding = 1;
  t = encode(&big, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_SIZE));
  transfer_free(&t);
  /* two planes for a black/white panel */
  t = encode(&two, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_SIZE));
  transfer_free(&t);
  /* a full frame that covers less than the panel */
  t = encode(&s.next, &s.o);
  put_be16(t.header.p + 30, 19);
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_SIZE));
  transfer_free(&t);
  /* a region outside the frame, and an empty one */
  s.o.encoding = 2;
  s.o.rx = 10;
  s.o.rw = 3;
  s.o.ry = 0;
  s.o.rh = 1;
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_SIZE));
  put_be16(t.header.p + 24, 0);
  put_be16(t.header.p + 26, 0);
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_SIZE));
  transfer_free(&t);
  /* a payload that inflates beyond its region (an oversize transfer: it would write past the panel) */
  s.o.rx = 0;
  s.o.rw = 12;
  s.o.ry = 0;
  s.o.rh = 20;
  t = encode(&s.next, &s.o);
  put_be16(t.header.p + 30, 5);
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_SIZE));
  /* … and one that inflates to less */
  put_be16(t.header.p + 30, 20);
  put_be16(t.header.p + 26, 11);
  put_be16(t.header.p + 24, 0);
  transfer_free(&t);
  {
    bytes small;
    uint8_t zeros[100] = {0};
    t = encode(&s.next, &s.o);
    bytes_free(&t.payload);
    small = deflate4k(zeros, sizeof zeros);
    t.payload = small;
    put_be32((uint32_t)small.n, t.header.p + 20);
    recut(&t, SECRET, 11, 40, 0);
    r = display_feed_all(&s.x, t.chunks, t.count, T0);
    CHECK(has_reason(&r, WGW_NAK_BAD_SIZE));
    transfer_free(&t);
  }
  unchanged(&s);
  frame_free(&big);
  frame_free(&two);
  scene_close(&s);
}

static void nak_stale_seq_and_base_mismatch(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  frame other = frame_random(96, 20, 1, 99);
  scene_open(&s, 3);
  /* below the last accepted */
  s.o.seq = 9;
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_STALE_SEQ));
  CHECK_EQ_INT(r.seq, 9);
  transfer_free(&t);
  /* the last accepted number with another frame */
  s.o.seq = 10;
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_STALE_SEQ));
  transfer_free(&t);
  /* sequence before base: an old delta on another base is stale, not a base mismatch */
  s.o.seq = 9;
  s.o.base = &other;
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_STALE_SEQ));
  transfer_free(&t);
  /* a new number on the wrong base */
  s.o.seq = 11;
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BASE_MISMATCH));
  transfer_free(&t);
  unchanged(&s);
  frame_free(&other);
  scene_close(&s);
}

static void nak_bad_hmac_and_bad_hash(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  scene_open(&s, 3);
  /* forged: signed with another key */
  s.o.secret = OTHER_SECRET;
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_HMAC));
  transfer_free(&t);
  s.o.secret = SECRET;
  /* the tag field changed (header CRC recomputed) */
  t = encode(&s.next, &s.o);
  t.header.p[100] ^= 0x10;
  recut(&t, SECRET, 11, 40, 1);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_HMAC));
  transfer_free(&t);
  /* a frame hash that is not the decoded image's (correctly signed: a controller bug, not an attack) */
  t = encode(&s.next, &s.o);
  t.header.p[64] ^= 1;
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_HASH));
  transfer_free(&t);
  unchanged(&s);
  scene_close(&s);
}

static void nak_inflate(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x11};
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  bytes_free(&t.payload);
  t.payload = bytes_copy(garbage, sizeof garbage);
  put_be32(sizeof garbage, t.header.p + 20);
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_INFLATE));
  transfer_free(&t);
  /* a stream cut before its end (length consistent with the header) */
  t = encode(&s.next, &s.o);
  t.payload.n -= 2;
  put_be32((uint32_t)t.payload.n, t.header.p + 20);
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_INFLATE));
  transfer_free(&t);
  /* bytes after the end of the stream */
  t = encode(&s.next, &s.o);
  {
    bytes longer;
    longer.n = t.payload.n + 3;
    longer.p = calloc(1, longer.n);
    memcpy(longer.p, t.payload.p, t.payload.n);
    bytes_free(&t.payload);
    t.payload = longer;
  }
  put_be32((uint32_t)t.payload.n, t.header.p + 20);
  recut(&t, SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_INFLATE));
  transfer_free(&t);
  /* inflate is checked before the tag: garbage under a forged tag is still "inflate" */
  t = encode(&s.next, &s.o);
  bytes_free(&t.payload);
  t.payload = bytes_copy(garbage, sizeof garbage);
  put_be32(sizeof garbage, t.header.p + 20);
  recut(&t, OTHER_SECRET, 11, 40, 0);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_INFLATE));
  transfer_free(&t);
  unchanged(&s);
  scene_close(&s);
}

static void nak_bad_crc_and_missing_chunk(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  bytes bad;
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  CHECK(t.count >= 5);
  /* a bit flipped in chunk 2: bad-crc, one nak; the rest of the transfer is dropped quietly */
  CHECK_EQ_INT(feed_one(&s, &t.chunks[0]).status, WGW_MORE);
  CHECK_EQ_INT(feed_one(&s, &t.chunks[1]).status, WGW_MORE);
  bad = bytes_copy(t.chunks[2].p, t.chunks[2].n);
  bad.p[15] ^= 0x04;
  r = feed_one(&s, &bad);
  CHECK(has_reason(&r, WGW_NAK_BAD_CRC));
  CHECK_EQ_INT(r.seq, 11);
  CHECK_EQ_INT(feed_one(&s, &t.chunks[3]).status, WGW_QUIET);
  CHECK_EQ_INT(feed_one(&s, &t.chunks[4]).status, WGW_QUIET);
  bytes_free(&bad);
  /* reordered: 0, 2, 1 — missing-chunk at 2, then quiet */
  CHECK_EQ_INT(feed_one(&s, &t.chunks[0]).status, WGW_MORE);
  r = feed_one(&s, &t.chunks[2]);
  CHECK(has_reason(&r, WGW_NAK_MISSING_CHUNK));
  CHECK_EQ_INT(feed_one(&s, &t.chunks[1]).status, WGW_QUIET);
  /* a chunk without its start */
  display_reboot(&s.x);
  r = feed_one(&s, &t.chunks[3]);
  CHECK(has_reason(&r, WGW_NAK_MISSING_CHUNK));
  CHECK_EQ_INT(feed_one(&s, &t.chunks[4]).status, WGW_QUIET);
  /* a chunk of another transfer in the middle */
  CHECK_EQ_INT(feed_one(&s, &t.chunks[0]).status, WGW_MORE);
  {
    transfer u;
    s.o.seq = 12;
    u = encode(&s.next, &s.o);
    r = feed_one(&s, &u.chunks[1]);
    CHECK(has_reason(&r, WGW_NAK_MISSING_CHUNK));
    CHECK_EQ_INT(r.seq, 11);
    transfer_free(&u);
  }
  /* a chunk too short to have a CRC: as unverified as one whose CRC is wrong */
  CHECK_EQ_INT(feed_one(&s, &t.chunks[0]).status, WGW_MORE);
  bad = bytes_copy(t.chunks[1].p, 9);
  r = feed_one(&s, &bad);
  CHECK(has_reason(&r, WGW_NAK_BAD_CRC));
  CHECK_EQ_INT(r.seq, 11);
  bytes_free(&bad);
  /* … with nothing in progress it is dropped quietly (no number to trust); the next chunk has no start */
  bad = bytes_copy(t.chunks[0].p, t.chunks[0].n - 1);
  CHECK_EQ_INT(feed_one(&s, &bad).status, WGW_QUIET);
  s.o.seq = 13;
  {
    transfer u = encode(&s.next, &s.o);
    r = feed_one(&s, &u.chunks[1]);
    CHECK(has_reason(&r, WGW_NAK_MISSING_CHUNK));
    CHECK_EQ_INT(r.seq, 13);
    CHECK_EQ_INT(feed_one(&s, &u.chunks[2]).status, WGW_QUIET);
    transfer_free(&u);
  }
  s.o.seq = 11;
  bytes_free(&bad);
  /* a chunk larger than maxChunk is not taken (in a transfer in progress: vector bad-crc/over-max-chunk) */
  s.x.max_chunk = 39;
  display_reboot(&s.x);
  CHECK_EQ_INT(feed_one(&s, &t.chunks[0]).status, WGW_QUIET);
  CHECK(!wgw_busy(&s.x.dev));
  s.x.max_chunk = 40;
  display_reboot(&s.x);
  CHECK_EQ_INT(feed_one(&s, &t.chunks[0]).status, WGW_MORE);
  transfer_free(&t);
  unchanged(&s);
  scene_close(&s);
}

static void header_seq_differs_from_chunk_seq(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  recut(&t, SECRET, 12, 40, 0); /* chunks say 12, the header 11 */
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_MISSING_CHUNK));
  transfer_free(&t);
  unchanged(&s);
  scene_close(&s);
}

/* ---- faults ----------------------------------------------------------------------------------------------------- */

static void duplicated_chunks_are_dropped_quietly(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  size_t i;
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  for (i = 0; i < t.count; i++) {
    r = feed_one(&s, &t.chunks[i]);
    if (i + 1 < t.count) {
      CHECK_EQ_INT(r.status, WGW_MORE);
      CHECK_EQ_INT(feed_one(&s, &t.chunks[i]).status, i == 0 ? WGW_MORE : WGW_QUIET);
    }
  }
  CHECK_EQ_INT(r.status, WGW_ACK);
  /* the last chunk again, after the ack: dropped, not a second answer */
  CHECK_EQ_INT(feed_one(&s, &t.chunks[t.count - 1]).status, WGW_QUIET);
  CHECK(memcmp(s.x.fl.shown, s.next.bytes, s.next.n) == 0);
  transfer_free(&t);
  scene_close(&s);
}

/* Every single-bit flip anywhere in a transfer: never acknowledged or shown, and the next good transfer goes through. */
static void every_bit_flip_is_refused_with(unsigned slots) {
  scene s;
  transfer t;
  size_t ci, byte;
  int bit;
  int refused = 0;
  scene_open(&s, slots);
  t = encode(&s.next, &s.o);
  for (ci = 0; ci < t.count; ci++) {
    for (byte = 0; byte < t.chunks[ci].n; byte++) {
      for (bit = 0; bit < 8; bit++) {
        wgw_result r;
        size_t k;
        wgw_result last;
        last.status = WGW_MORE;
        t.chunks[ci].p[byte] ^= (uint8_t)(1u << bit);
        for (k = 0; k < t.count; k++) {
          wgw_feed(&s.x.dev, t.chunks[k].p, t.chunks[k].n, T0, &r);
          if (r.status == WGW_ACK || r.status == WGW_NAK) last = r;
        }
        t.chunks[ci].p[byte] ^= (uint8_t)(1u << bit);
        /* refused with a nak; or, a damaged chunk 0, dropped with the rest of its transfer (the one refused just
           before carried the same number): the controller's ack timeout sends it again */
        if (last.status == WGW_NAK) refused++;
        CHECK(last.status == WGW_NAK || (ci == 0 && last.status == WGW_MORE));
      }
    }
  }
  CHECK(refused > 0);
  unchanged(&s);
  {
    wgw_result r = display_feed_all(&s.x, t.chunks, t.count, T0);
    CHECK_EQ_INT(r.status, WGW_ACK);
  }
  transfer_free(&t);
  scene_close(&s);
}

static void every_bit_flip_is_refused(void) {
  every_bit_flip_is_refused_with(3);
}

static void every_bit_flip_is_refused_one_buffer(void) {
  every_bit_flip_is_refused_with(1);
}

static void truncated_transfer_then_the_next_one(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count - 1, T0);
  CHECK_EQ_INT(r.status, WGW_MORE);
  CHECK(wgw_busy(&s.x.dev));
  /* the controller times out and sends it again (chunk 0 starts anew) */
  r = display_feed_all(&s.x, t.chunks, t.count, T0 + 10000);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK(!wgw_busy(&s.x.dev));
  transfer_free(&t);
  scene_close(&s);
}

static void abandoned_transfer_is_discarded_without_a_nak(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, 3, T0);
  CHECK_EQ_INT(r.status, WGW_MORE);
  CHECK_EQ_INT(wgw_poll(&s.x.dev, T0 + 29000), 0);
  CHECK(wgw_busy(&s.x.dev));
  CHECK_EQ_INT(wgw_poll(&s.x.dev, T0 + 30001), 0);
  CHECK(!wgw_busy(&s.x.dev));
  /* a late chunk has no transfer to belong to */
  r = feed_one(&s, &t.chunks[3]);
  CHECK(has_reason(&r, WGW_NAK_MISSING_CHUNK));
  /* without a poll the next chunk finds it abandoned as well (a transfer under another number) */
  s.o.seq = 12;
  {
    transfer u = encode(&s.next, &s.o);
    display_feed_all(&s.x, u.chunks, 2, T0 + 40000);
    wgw_feed(&s.x.dev, u.chunks[2].p, u.chunks[2].n, T0 + 71000, &r);
    CHECK(has_reason(&r, WGW_NAK_MISSING_CHUNK));
    CHECK_EQ_INT(r.seq, 12);
    transfer_free(&u);
  }
  s.o.seq = 11;
  unchanged(&s);
  r = display_feed_all(&s.x, t.chunks, t.count, T0 + 80000);
  CHECK_EQ_INT(r.status, WGW_ACK);
  transfer_free(&t);
  scene_close(&s);
}

static void new_chunk_zero_replaces_a_transfer_in_progress(void) {
  scene s;
  transfer t, u;
  wgw_result r = {0};
  frame third = frame_random(96, 20, 1, 5);
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  display_feed_all(&s.x, t.chunks, 2, T0);
  s.o.seq = 12;
  s.o.encoding = 1;
  u = encode(&third, &s.o);
  r = display_feed_all(&s.x, u.chunks, u.count, T0);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK_EQ_INT(r.seq, 12);
  CHECK(memcmp(s.x.fl.shown, third.bytes, third.n) == 0);
  transfer_free(&t);
  transfer_free(&u);
  frame_free(&third);
  scene_close(&s);
}

/* ---- retransmission and power loss -------------------------------------------------------------------------------- */

static void lost_ack_after_a_delta_is_answered_again(void) {
  scene s;
  transfer t;
  wgw_result r1, r2;
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  r1 = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK_EQ_INT(r1.status, WGW_ACK);
  CHECK_EQ_INT(s.x.fl.shows, 1);
  /* the ack was lost; the controller sends the same transfer again: its base is no longer on screen */
  r2 = display_feed_all(&s.x, t.chunks, t.count, T0 + 10000);
  CHECK_EQ_INT(r2.status, WGW_ACK);
  CHECK(r2.repeated);
  CHECK_EQ_INT(r2.seq, r1.seq);
  CHECK(memcmp(r2.hash, r1.hash, 32) == 0);
  CHECK_EQ_INT(s.x.fl.shows, 1); /* nothing applied */
  /* … also after a reboot */
  display_reboot(&s.x);
  r2 = display_feed_all(&s.x, t.chunks, t.count, T0 + 20000);
  CHECK_EQ_INT(r2.status, WGW_ACK);
  CHECK(r2.repeated);
  /* a retransmission is still authenticated */
  {
    size_t last = t.count - 1;
    t.chunks[last].p[t.chunks[last].n - 5] ^= 1; /* the last payload byte */
    put_be32((uint32_t)crc32(0L, t.chunks[last].p, (uInt)(t.chunks[last].n - 4)), t.chunks[last].p + t.chunks[last].n - 4);
    r2 = display_feed_all(&s.x, t.chunks, t.count, T0 + 30000);
    CHECK(has_reason(&r2, WGW_NAK_BAD_HMAC));
  }
  transfer_free(&t);
  scene_close(&s);
}

/*
 * Power loss after the sequence number was persisted but before the panel showed the frame: the display comes back
 * with the old frame and the new number. The same transfer is refused (no replay), and the controller's next
 * transfer above it goes through (not stuck).
 */
static void power_loss_between_persisting_seq_and_showing_with(unsigned slots) {
  scene s;
  transfer t, u;
  wgw_result r = {0};
  scene_open(&s, slots);
  t = encode(&s.next, &s.o);
  s.x.fl.fail_show_in = 1;
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK_EQ_INT(r.status, WGW_FAILED);
  CHECK_EQ_INT(s.x.fl.seq, 11);
  CHECK(memcmp(s.x.fl.shown, s.shown.bytes, s.shown.n) == 0);
  CHECK_EQ_INT(display_reboot(&s.x), WGW_OK);
  {
    uint32_t seq = 0;
    CHECK(wgw_last_seq(&s.x.dev, &seq) && seq == 11);
    CHECK(memcmp(wgw_shown_hash(&s.x.dev), s.shown.hash, 32) == 0);
  }
  /* replayed: same number, a frame it does not show */
  r = display_feed_all(&s.x, t.chunks, t.count, T0 + 1000);
  CHECK(has_reason(&r, WGW_NAK_STALE_SEQ));
  /* the controller learns lastSeq 11 and the old shown hash, and sends the delta again above it */
  s.o.seq = 12;
  u = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, u.chunks, u.count, T0 + 2000);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK(memcmp(s.x.fl.shown, s.next.bytes, s.next.n) == 0);
  transfer_free(&t);
  transfer_free(&u);
  scene_close(&s);
}

static void power_loss_between_persisting_seq_and_showing(void) {
  power_loss_between_persisting_seq_and_showing_with(3);
}

static void power_loss_between_persisting_seq_and_showing_one_buffer(void) {
  power_loss_between_persisting_seq_and_showing_with(1);
}

static void failing_seq_store_shows_nothing(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  scene_open(&s, 3);
  t = encode(&s.next, &s.o);
  s.x.fl.fail_store_seq_in = 1;
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK_EQ_INT(r.status, WGW_FAILED);
  CHECK_EQ_INT(r.err, WGW_ERR_STORAGE);
  unchanged(&s);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK_EQ_INT(r.status, WGW_ACK);
  transfer_free(&t);
  scene_close(&s);
}

static void damaged_shown_copy_is_not_reported(void) {
  scene s;
  scene_open(&s, 3);
  s.x.fl.shown[3] ^= 1;
  CHECK_EQ_INT(display_reboot(&s.x), WGW_OK);
  CHECK(wgw_shown_hash(&s.x.dev) == NULL);
  scene_close(&s);
}

/* ---- activate-at ------------------------------------------------------------------------------------------------ */

static void activate_at_holds_then_shows(unsigned slots) {
  scene s;
  transfer t, u;
  wgw_result r = {0};
  frame future = frame_random(96, 20, 1, 77);
  uint32_t at = (uint32_t)(T0 / 1000u) + 3600u;
  scene_open(&s, slots);
  s.o.encoding = 1;
  s.o.activate_at = at;
  s.o.flags = WGW_FLAG_FULL_REFRESH;
  t = encode(&future, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK_EQ_INT(r.activate_at, at);
  CHECK(!r.changed);
  CHECK_EQ_INT(s.x.fl.shows, 0);
  CHECK(s.x.fl.has_held);
  CHECK(wgw_held_hash(&s.x.dev) != NULL);
  /* a lost ack: the same ack again */
  r = display_feed_all(&s.x, t.chunks, t.count, T0 + 5000);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK(r.repeated);
  CHECK_EQ_INT(r.activate_at, at);
  /* it survives a power loss, and shows at its second */
  CHECK_EQ_INT(display_reboot(&s.x), WGW_OK);
  CHECK_EQ_INT(wgw_poll(&s.x.dev, (uint64_t)at * 1000u - 1u), 0);
  CHECK_EQ_INT(wgw_poll(&s.x.dev, (uint64_t)at * 1000u), 1);
  CHECK(memcmp(s.x.fl.shown, future.bytes, future.n) == 0);
  CHECK(!s.x.fl.has_held);
  CHECK(wgw_held_hash(&s.x.dev) == NULL);
  /* a delta on the frame it switched to works */
  s.o.encoding = 2;
  s.o.activate_at = 0;
  s.o.flags = 0;
  s.o.seq = 12;
  s.o.base = &future;
  memcpy(s.next.bytes, future.bytes, future.n);
  s.next.bytes[0] ^= 0xff;
  frame_rehash(&s.next);
  u = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, u.chunks, u.count, (uint64_t)at * 1000u + 10u);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK(memcmp(s.x.fl.shown, s.next.bytes, s.next.n) == 0);
  transfer_free(&t);
  transfer_free(&u);
  frame_free(&future);
  scene_close(&s);
}

static void activate_at_three_slots(void) {
  activate_at_holds_then_shows(3);
}

static void activate_at_two_slots(void) {
  activate_at_holds_then_shows(2);
}

static void activate_at_one_slot(void) {
  activate_at_holds_then_shows(1);
}

/* One frame buffer: a delta is decoded in place over the frame on screen; after a refusal that buffer holds garbage,
   and the next delta reads the frame on screen again through load_shown. */
static void one_buffer_refused_delta_then_the_next(void) {
  scene s;
  transfer t;
  wgw_result r;
  int reloads_before;
  scene_open(&s, 1);
  s.o.secret = OTHER_SECRET; /* forged: refused after the payload was decoded in place */
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK(has_reason(&r, WGW_NAK_BAD_HMAC));
  CHECK(wgw_shown_frame(&s.x.dev) == NULL); /* not at hand any more… */
  CHECK(memcmp(wgw_shown_hash(&s.x.dev), s.shown.hash, 32) == 0); /* …but still what it shows */
  unchanged(&s);
  transfer_free(&t);
  s.o.secret = SECRET;
  reloads_before = s.x.fl.shown_loads;
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK_EQ_INT(s.x.fl.shown_loads, reloads_before + 1);
  CHECK(memcmp(s.x.fl.shown, s.next.bytes, s.next.n) == 0);
  CHECK(wgw_shown_frame(&s.x.dev) != NULL && memcmp(wgw_shown_frame(&s.x.dev), s.next.bytes, s.next.n) == 0);
  transfer_free(&t);
  /* the flash copy of the frame on screen damaged meanwhile: not built on (base-mismatch, then a full frame) */
  {
    frame third = frame_new(96, 20, 1);
    memcpy(third.bytes, s.next.bytes, s.next.n);
    third.bytes[7] ^= 0xff;
    frame_rehash(&third);
    s.o.seq = 12;
    s.o.base = &s.next;
    s.o.secret = OTHER_SECRET;
    t = encode(&third, &s.o);
    display_feed_all(&s.x, t.chunks, t.count, T0); /* refused: the buffer holds garbage again */
    transfer_free(&t);
    s.x.fl.shown[5] ^= 1;
    s.o.secret = SECRET;
    t = encode(&third, &s.o);
    r = display_feed_all(&s.x, t.chunks, t.count, T0);
    CHECK(has_reason(&r, WGW_NAK_BASE_MISMATCH));
    CHECK(wgw_shown_hash(&s.x.dev) == NULL);
    transfer_free(&t);
    s.o.encoding = 1;
    t = encode(&third, &s.o);
    r = display_feed_all(&s.x, t.chunks, t.count, T0);
    CHECK_EQ_INT(r.status, WGW_ACK);
    CHECK(memcmp(s.x.fl.shown, third.bytes, third.n) == 0);
    transfer_free(&t);
    frame_free(&third);
  }
  scene_close(&s);
}

/* One frame buffer: a held frame's second comes while a transfer is decoding into that buffer: it is shown once the
   transfer ended, read again from flash. */
static void one_buffer_activation_waits_for_the_transfer(void) {
  scene s;
  transfer t, u;
  wgw_result r;
  frame future = frame_random(96, 20, 1, 79);
  uint32_t at = (uint32_t)(T0 / 1000u) + 60u;
  scene_open(&s, 1);
  s.o.encoding = 1;
  s.o.activate_at = at;
  t = encode(&future, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK_EQ_INT(r.activate_at, at);
  /* the next transfer (a retransmission would not need the buffer: a new frame for later does) */
  s.o.seq = 12;
  u = encode(&future, &s.o);
  display_feed_all(&s.x, u.chunks, u.count - 1, (uint64_t)at * 1000u - 10u);
  CHECK(wgw_busy(&s.x.dev));
  CHECK_EQ_INT(wgw_poll(&s.x.dev, (uint64_t)at * 1000u), 0);
  CHECK_EQ_INT(s.x.fl.shows, 0);
  wgw_feed(&s.x.dev, u.chunks[u.count - 1].p, u.chunks[u.count - 1].n, (uint64_t)at * 1000u + 5u, &r);
  /* its activate-at has passed by now: shown at once */
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK_EQ_INT(r.activate_at, 0);
  CHECK(memcmp(s.x.fl.shown, future.bytes, future.n) == 0);
  CHECK(!s.x.fl.has_held);
  transfer_free(&t);
  transfer_free(&u);
  /* and once more, with a refused transfer in between: the held frame comes back from flash */
  s.o.seq = 13;
  s.o.activate_at = at + 60u;
  t = encode(&s.shown, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, (uint64_t)at * 1000u + 10u);
  CHECK_EQ_INT(r.activate_at, at + 60u);
  s.o.seq = 14;
  s.o.secret = OTHER_SECRET;
  u = encode(&future, &s.o);
  r = display_feed_all(&s.x, u.chunks, u.count, (uint64_t)at * 1000u + 20u);
  CHECK(has_reason(&r, WGW_NAK_BAD_HMAC));
  CHECK_EQ_INT(wgw_poll(&s.x.dev, (uint64_t)(at + 60u) * 1000u), 1);
  CHECK(memcmp(s.x.fl.shown, s.shown.bytes, s.shown.n) == 0);
  transfer_free(&t);
  transfer_free(&u);
  frame_free(&future);
  scene_close(&s);
}

static void frame_shown_now_discards_the_held_one_in(unsigned slots) {
  scene s;
  transfer t, u;
  wgw_result r = {0};
  frame future = frame_random(96, 20, 1, 78);
  uint32_t at = (uint32_t)(T0 / 1000u) + 3600u;
  scene_open(&s, slots);
  s.o.encoding = 1;
  s.o.activate_at = at;
  t = encode(&future, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK_EQ_INT(r.activate_at, at);
  /* an edit now: a delta on the shown frame, above the held one's number */
  s.o.encoding = 2;
  s.o.activate_at = 0;
  s.o.seq = 12;
  u = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, u.chunks, u.count, T0 + 1000);
  CHECK_EQ_INT(r.status, WGW_ACK);
  CHECK(!s.x.fl.has_held);
  CHECK(wgw_held_hash(&s.x.dev) == NULL);
  CHECK_EQ_INT(wgw_poll(&s.x.dev, (uint64_t)at * 1000u + 1u), 0);
  CHECK(memcmp(s.x.fl.shown, s.next.bytes, s.next.n) == 0);
  transfer_free(&t);
  transfer_free(&u);
  frame_free(&future);
  scene_close(&s);
}

static void frame_shown_now_discards_the_held_one(void) {
  frame_shown_now_discards_the_held_one_in(3);
}

static void frame_shown_now_discards_the_held_one_two_slots(void) {
  frame_shown_now_discards_the_held_one_in(2);
}

static void frame_shown_now_discards_the_held_one_one_slot(void) {
  frame_shown_now_discards_the_held_one_in(1);
}

/* ---- device messages --------------------------------------------------------------------------------------------- */

static int tag_verifies(const char *leaf, const char *msg, size_t len) {
  char hex[33];
  if (wgw_message_tag(SECRET, leaf, msg, len, hex) != WGW_OK) return 0;
  return memcmp(msg + len - 34, hex, 32) == 0;
}

static unsigned long ctr_of(const char *msg) {
  const char *p = strstr(msg, "\"ctr\":");
  return p ? strtoul(p + 6, NULL, 10) : 0;
}

static void device_messages_carry_ctr_and_tag(void) {
  scene s;
  transfer t;
  wgw_result r = {0};
  char buf[1024];
  size_t len = 0;
  wgw_hello_info hi;
  wgw_telemetry te;
  wgw_checkin_info ci;
  unsigned long prev;
  scene_open(&s, 3);
  hi.firmware = "wegweiser-c 1.1.0";
  hi.panel = "epd-x";
  hi.battery_mv = 2950;
  CHECK_EQ_INT(wgw_msg_hello(&s.x.dev, &hi, buf, sizeof buf, &len), WGW_OK);
  CHECK_EQ_INT(len, strlen(buf));
  CHECK(STARTS_WITH(buf, "{\"id\":\"ds-1\",\"protocol\":1,\"minor\":1,\"firmware\":\"wegweiser-c 1.1.0\",\"panel\":\"epd-x\",\"width\":96,\"height\":20,\"maxChunk\":4096,"));
  CHECK(strstr(buf, "\"lastSeq\":10") != NULL);
  CHECK(tag_verifies("hello", buf, len));
  CHECK(!tag_verifies("ack", buf, len)); /* bound to its topic */
  prev = ctr_of(buf);
  CHECK_EQ_INT(prev, 1);
  te.battery_mv = 2900;
  te.rssi = -61;
  te.temperature_dc = -215;
  CHECK_EQ_INT(wgw_msg_telemetry(&s.x.dev, &te, buf, sizeof buf, &len), WGW_OK);
  CHECK(STARTS_WITH(buf, "{\"batteryMv\":2900,\"rssi\":-61,\"temperatureC\":-21.5,\"ctr\":2,\"tag\":\""));
  CHECK(tag_verifies("telemetry", buf, len));
  ci.telemetry = te;
  ci.wake_reason = "timer";
  ci.listen_ms = 2000;
  ci.sleep_seconds = 600;
  CHECK_EQ_INT(wgw_msg_checkin(&s.x.dev, &ci, T0 + 5, buf, sizeof buf, &len), WGW_OK);
  CHECK(strstr(buf, "\"time\":1800000000005,\"ctr\":3,") != NULL);
  CHECK(tag_verifies("checkin", buf, len));
  t = encode(&s.next, &s.o);
  r = display_feed_all(&s.x, t.chunks, t.count, T0);
  CHECK_EQ_INT(wgw_msg_ack(&s.x.dev, &r, buf, sizeof buf, &len), WGW_OK);
  CHECK(STARTS_WITH(buf, "{\"seq\":11,\"hash\":\""));
  CHECK(strstr(buf, "\"activateAt\":0,\"ctr\":4,") != NULL);
  CHECK(tag_verifies("ack", buf, len));
  r = display_feed_all(&s.x, t.chunks, 1, T0);
  r = display_feed_all(&s.x, t.chunks + 2, 1, T0);
  CHECK(has_reason(&r, WGW_NAK_MISSING_CHUNK));
  CHECK_EQ_INT(wgw_msg_nak(&s.x.dev, &r, buf, sizeof buf, &len), WGW_OK);
  CHECK(STARTS_WITH(buf, "{\"seq\":11,\"reason\":\"missing-chunk\",\"detail\":\"a chunk is missing\",\"lastSeq\":11,\"ctr\":5,\"tag\":\""));
  CHECK(tag_verifies("nak", buf, len));
  /* a changed payload no longer verifies */
  buf[3] = 'X';
  CHECK(!tag_verifies("nak", buf, len));
  /* too small a buffer: refused, nothing half-written is reported as a message */
  CHECK_EQ_INT(wgw_msg_telemetry(&s.x.dev, &te, buf, 40, &len), WGW_ERR_SPACE);
  transfer_free(&t);
  scene_close(&s);
}

static void counter_is_reserved_in_blocks_and_never_reused(void) {
  display x;
  char buf[512];
  size_t len;
  wgw_telemetry te = {3000, -50, 200};
  unsigned long last = 0;
  int i;
  display_new(&x, "ds-1", SECRET, 16, 2, 1, 2);
  for (i = 0; i < 300; i++) {
    CHECK_EQ_INT(wgw_msg_telemetry(&x.dev, &te, buf, sizeof buf, &len), WGW_OK);
    CHECK(ctr_of(buf) == last + 1);
    last = ctr_of(buf);
  }
  CHECK_EQ_INT(x.fl.ctr_stores, 2); /* 300 messages, blocks of 256 */
  /* power loss: the next counter is above everything it may have used */
  display_reboot(&x);
  CHECK_EQ_INT(wgw_msg_telemetry(&x.dev, &te, buf, sizeof buf, &len), WGW_OK);
  CHECK(ctr_of(buf) == 513);
  /* a failed reservation sends nothing */
  display_reboot(&x);
  x.fl.fail_store_ctr_in = 1;
  CHECK_EQ_INT(wgw_msg_telemetry(&x.dev, &te, buf, sizeof buf, &len), WGW_ERR_STORAGE);
  CHECK_EQ_INT(wgw_msg_telemetry(&x.dev, &te, buf, sizeof buf, &len), WGW_OK);
  CHECK(ctr_of(buf) == 769);
  /* the end of the counter */
  x.fl.ctr = UINT32_MAX - 1u;
  display_reboot(&x);
  CHECK_EQ_INT(wgw_msg_telemetry(&x.dev, &te, buf, sizeof buf, &len), WGW_OK);
  CHECK(ctr_of(buf) == 4294967295ul);
  CHECK_EQ_INT(wgw_msg_telemetry(&x.dev, &te, buf, sizeof buf, &len), WGW_ERR_CTR_EXHAUSTED);
  display_reboot(&x);
  CHECK_EQ_INT(wgw_msg_telemetry(&x.dev, &te, buf, sizeof buf, &len), WGW_ERR_CTR_EXHAUSTED);
  display_free(&x);
}

/* ---- control messages ---------------------------------------------------------------------------------------------- */

static void make_control(uint8_t out[40], const uint8_t *key, uint64_t time, uint32_t interval, uint64_t echo) {
  uint8_t mac[32];
  memcpy(out, "WGC1", 4);
  put_be32((uint32_t)(time >> 32), out + 4);
  put_be32((uint32_t)time, out + 8);
  put_be32(interval, out + 12);
  put_be32((uint32_t)(echo >> 32), out + 16);
  put_be32((uint32_t)echo, out + 20);
  mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, 32, out, 24, mac);
  memcpy(out + 24, mac, 16);
}

static void control_message_answers_only_its_checkin(void) {
  display x;
  char buf[512];
  size_t len;
  wgw_checkin_info ci;
  wgw_control c;
  uint8_t m[40];
  uint64_t echo = T0 + 123;
  display_new(&x, "ds-1", SECRET, 16, 2, 1, 2);
  memset(&ci, 0, sizeof ci);
  ci.wake_reason = "boot";
  ci.listen_ms = 2000;
  ci.sleep_seconds = 60;
  /* before any check-in: not an answer */
  make_control(m, SECRET, T0 + 5000, 600, echo);
  CHECK_EQ_INT(wgw_control_verify(&x.dev, m, 40, echo + 100, &c), WGW_CONTROL_NOT_AN_ANSWER);
  CHECK_EQ_INT(wgw_msg_checkin(&x.dev, &ci, echo, buf, sizeof buf, &len), WGW_OK);
  /* forged, malformed, another check-in's echo, too late */
  make_control(m, OTHER_SECRET, T0 + 5000, 600, echo);
  CHECK_EQ_INT(wgw_control_verify(&x.dev, m, 40, echo + 100, &c), WGW_CONTROL_BAD_TAG);
  make_control(m, SECRET, T0 + 5000, 600, echo);
  CHECK_EQ_INT(wgw_control_verify(&x.dev, m, 39, echo + 100, &c), WGW_CONTROL_MALFORMED);
  make_control(m, SECRET, T0 + 5000, 600, echo - 1);
  CHECK_EQ_INT(wgw_control_verify(&x.dev, m, 40, echo + 100, &c), WGW_CONTROL_NOT_AN_ANSWER);
  make_control(m, SECRET, T0 + 5000, 600, echo);
  CHECK_EQ_INT(wgw_control_verify(&x.dev, m, 40, echo + 30001, &c), WGW_CONTROL_LATE);
  /* the real answer: clock = controller time + half the round trip */
  CHECK_EQ_INT(wgw_control_verify(&x.dev, m, 40, echo + 100, &c), WGW_CONTROL_OK);
  CHECK(c.clock_ms == T0 + 5000 + 50);
  CHECK_EQ_INT(c.check_in_seconds, 600);
  /* replayed: refused */
  CHECK_EQ_INT(wgw_control_verify(&x.dev, m, 40, echo + 200, &c), WGW_CONTROL_NOT_AN_ANSWER);
  display_free(&x);
}

static void config_is_checked(void) {
  wgw_device d;
  wgw_config c;
  memset(&c, 0, sizeof c);
  c.id = "ds-1";
  CHECK_EQ_INT(wgw_init(&d, &c), WGW_ERR_ARG);
  CHECK(wgw_valid_id("ds-2.14_a"));
  CHECK(wgw_valid_id("A1234567890123456789012345678901"));
  CHECK(!wgw_valid_id("A12345678901234567890123456789012")); /* 33 */
  CHECK(!wgw_valid_id("-ds"));
  CHECK(!wgw_valid_id("ds/1"));
  CHECK(!wgw_valid_id("ds+"));
  CHECK(!wgw_valid_id(""));
}

void unit_tests(void) {
  run_test("golden vector of docs/protocol.md", golden_vector);
  run_test("HMAC-SHA256 matches RFC 4231 and mbedtls_md_hmac", hmac_matches_rfc4231_and_mbedtls);
  run_test("MQTT password is base64url of the HMAC, no padding", mqtt_password_is_base64url_of_the_hmac);
  run_test("full frame, XOR delta and region content round-trip, one and two planes", every_encoding_round_trips);
  run_test("the smallest region: one byte of one row", smallest_region_one_byte_one_row);
  run_test("nak truncated", nak_truncated);
  run_test("nak bad-magic, bad-version, header bad-crc", nak_bad_magic_version_crc);
  run_test("nak bad-encoding: unknown encoding, reserved flags, full frame with a base", nak_bad_encoding);
  run_test("nak wrong-display", nak_wrong_display);
  run_test("nak bad-size: panel size, planes, region, oversize payload", nak_bad_size);
  run_test("nak stale-seq before base-mismatch", nak_stale_seq_and_base_mismatch);
  run_test("nak bad-hmac (forged) and bad-hash", nak_bad_hmac_and_bad_hash);
  run_test("nak inflate", nak_inflate);
  run_test("nak bad-crc and missing-chunk; one nak per transfer", nak_bad_crc_and_missing_chunk);
  run_test("header seq differing from the chunks' is missing-chunk", header_seq_differs_from_chunk_seq);
  run_test("duplicated chunks are dropped quietly", duplicated_chunks_are_dropped_quietly);
  run_test("every single-bit flip in a transfer is refused", every_bit_flip_is_refused);
  run_test("every single-bit flip in a transfer is refused (1 frame buffer)", every_bit_flip_is_refused_one_buffer);
  run_test("a truncated transfer, then the controller's retry", truncated_transfer_then_the_next_one);
  run_test("an abandoned transfer is discarded after 30 s without a nak", abandoned_transfer_is_discarded_without_a_nak);
  run_test("a new chunk 0 replaces the transfer in progress", new_chunk_zero_replaces_a_transfer_in_progress);
  run_test("a lost ack after a delta is answered again, nothing applied", lost_ack_after_a_delta_is_answered_again);
  run_test("power loss between persisting seq and showing: no replay, not stuck", power_loss_between_persisting_seq_and_showing);
  run_test("power loss between persisting seq and showing (1 frame buffer)", power_loss_between_persisting_seq_and_showing_one_buffer);
  run_test("a failing seq store shows nothing", failing_seq_store_shows_nothing);
  run_test("a damaged copy of the shown frame is not reported as shown", damaged_shown_copy_is_not_reported);
  run_test("activate-at: held, acked again, kept over power loss, shown at its second (3 slots)", activate_at_three_slots);
  run_test("activate-at with 2 frame buffers", activate_at_two_slots);
  run_test("activate-at with 1 frame buffer (the held frame read again at its second)", activate_at_one_slot);
  run_test("one frame buffer: a refused delta in place, then the next reads the shown frame again", one_buffer_refused_delta_then_the_next);
  run_test("one frame buffer: a held frame's second during a transfer waits for it", one_buffer_activation_waits_for_the_transfer);
  run_test("a frame shown now discards the held one", frame_shown_now_discards_the_held_one);
  run_test("a frame shown now discards the held one (2 frame buffers)", frame_shown_now_discards_the_held_one_two_slots);
  run_test("a frame shown now discards the held one (1 frame buffer)", frame_shown_now_discards_the_held_one_one_slot);
  run_test("device messages carry ctr and a tag over their topic leaf", device_messages_carry_ctr_and_tag);
  run_test("the message counter is reserved in blocks and never reused", counter_is_reserved_in_blocks_and_never_reused);
  run_test("a control message is accepted only as the answer to the latest check-in", control_message_answers_only_its_checkin);
  run_test("configuration and display ids are checked", config_is_checked);
}

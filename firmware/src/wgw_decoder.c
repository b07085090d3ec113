/*
 * The streaming transfer decoder (docs/protocol.md, "What a display does, chunk by chunk").
 *
 * A chunk is verified (length, CRC-32) and consumed as it arrives: its bytes complete the 116-byte header, then feed
 * the HMAC and zlib's inflate, whose output goes, block by block, into the region of the back frame buffer (a copy
 * of the frame on screen for a delta; XORed for encoding 2). Nothing reaches the panel before the whole transfer
 * verified: length, inflate, tag, decoded size and frame hash, in that order. The sequence number is persisted
 * before the frame is shown or held, so a power loss in between leaves the display showing the old frame with the
 * new number: the controller sends again above it, and the old transfer can never be replayed.
 *
 * Every check has one place in one order, so a transfer gets the same nak reason whatever the chunking: errors the
 * payload reveals midway (inflate, size) are remembered and reported at the end, after the length.
 */
#include "wgw_internal.h"

#include <string.h>

#define ENC_FULL 1u
#define ENC_XOR 2u
#define ENC_REGION 3u

static const uint8_t MAGIC[4] = {'W', 'G', 'W', '1'};

const char *wgw_nak_reason_name(wgw_nak_reason reason) {
  switch (reason) {
    case WGW_NAK_TRUNCATED: return "truncated";
    case WGW_NAK_BAD_MAGIC: return "bad-magic";
    case WGW_NAK_BAD_VERSION: return "bad-version";
    case WGW_NAK_BAD_SIZE: return "bad-size";
    case WGW_NAK_BAD_CRC: return "bad-crc";
    case WGW_NAK_BAD_HASH: return "bad-hash";
    case WGW_NAK_BAD_HMAC: return "bad-hmac";
    case WGW_NAK_BAD_ENCODING: return "bad-encoding";
    case WGW_NAK_STALE_SEQ: return "stale-seq";
    case WGW_NAK_MISSING_CHUNK: return "missing-chunk";
    case WGW_NAK_BASE_MISMATCH: return "base-mismatch";
    case WGW_NAK_WRONG_DISPLAY: return "wrong-display";
    case WGW_NAK_INFLATE: return "inflate";
    case WGW_NAK_NONE: break;
  }
  return "";
}

/* ---- zlib's allocations: a bump arena, emptied per transfer ------------------------------------------------ */

static voidpf arena_alloc(voidpf opaque, uInt items, uInt size) {
  wgw_device *d = (wgw_device *)opaque;
  const size_t align = sizeof(void *) > 8 ? sizeof(void *) : 8;
  size_t start = (d->t.arena_used + align - 1) / align * align;
  size_t n;
  if (size != 0 && items > (size_t)-1 / size) return Z_NULL;
  n = (size_t)items * size;
  if (start > sizeof d->arena.bytes || n > sizeof d->arena.bytes - start) return Z_NULL;
  d->t.arena_used = start + n;
  if (d->t.arena_used > d->arena_peak) d->arena_peak = d->t.arena_used;
  return d->arena.bytes + start;
}

static void arena_free(voidpf opaque, voidpf address) {
  /* everything goes at once, when the next transfer starts */
  (void)opaque;
  (void)address;
}

/* ---- transfer bookkeeping ------------------------------------------------------------------------------------ */

static void end_transfer(wgw_device *d) {
  wgw_transfer *t = &d->t;
  unsigned i;
  if (t->z_live) (void)inflateEnd(&t->z);
  if (t->header_ok) wgw_hmac_free(&t->mac);
  t->z_live = 0;
  t->header_ok = 0;
  t->active = 0;
  /* a work frame that did not become the shown or held frame holds nothing worth keeping */
  for (i = 0; i < d->cfg.slot_count; i++)
    if (d->slot_role[i] == WGW_SLOT_WORK) d->slot_role[i] = WGW_SLOT_EMPTY;
}

void wgw_abort_transfer(wgw_device *d) {
  if (d->t.active) end_transfer(d);
}

int wgw_busy(const wgw_device *d) {
  return d->t.active;
}

/* The transfer ends with an answer: its other chunks (the rest, stray copies) are dropped quietly. */
static void ended(wgw_device *d, uint32_t seq) {
  d->ended = 1;
  d->ended_seq = seq;
}

static void nak(wgw_device *d, wgw_result *r, wgw_nak_reason reason, int has_seq, uint32_t seq, const char *detail) {
  if (d->t.active) end_transfer(d);
  if (has_seq) ended(d, seq);
  r->status = WGW_NAK;
  r->reason = reason;
  r->has_seq = has_seq;
  r->seq = has_seq ? seq : 0;
  r->detail = detail;
}

static void failed(wgw_device *d, wgw_result *r, wgw_err err) {
  if (d->t.active) end_transfer(d);
  r->status = WGW_FAILED;
  r->err = err;
}

/* ---- header ------------------------------------------------------------------------------------------------ */

static void read_header(const uint8_t *b, wgw_header *h) {
  h->encoding = b[5];
  h->planes = b[6];
  h->flags = b[7];
  h->width = wgw_be16(b + 8);
  h->height = wgw_be16(b + 10);
  h->seq = wgw_be32(b + 12);
  h->activate_at = wgw_be32(b + 16);
  h->payload_length = wgw_be32(b + 20);
  h->region_x = wgw_be16(b + 24);
  h->region_w = wgw_be16(b + 26);
  h->region_y = wgw_be16(b + 28);
  h->region_h = wgw_be16(b + 30);
  memcpy(h->frame_hash, b + 64, WGW_WIRE_HASH_BYTES);
  memcpy(h->base_hash, b + 80, WGW_WIRE_HASH_BYTES);
  memcpy(h->tag, b + 96, WGW_TAG_BYTES);
}

static int all_zero(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] != 0) return 0;
  return 1;
}

/* The display id field: our id, then NUL padding to 32 bytes. */
static int header_names_us(const wgw_device *d, const uint8_t *field) {
  return memcmp(field, d->id, d->id_len) == 0 && all_zero(field + d->id_len, WGW_ID_MAX - d->id_len);
}

/* The frame buffer holding a frame of that role, or slot_count if none does. */
static unsigned slot_with(const wgw_device *d, uint8_t role) {
  unsigned i;
  for (i = 0; i < d->cfg.slot_count; i++)
    if (d->slot_role[i] == role) return i;
  return d->cfg.slot_count;
}

/* A frame buffer to fill, giving up first an empty one, then the held frame's copy, then the shown frame's (both stay
   persisted: the hooks read them again), never `keep` (slot_count: none to keep). */
static unsigned free_slot(const wgw_device *d, unsigned keep) {
  static const uint8_t order[3] = {WGW_SLOT_EMPTY, WGW_SLOT_HELD, WGW_SLOT_SHOWN};
  unsigned k, i;
  for (k = 0; k < 3; k++)
    for (i = 0; i < d->cfg.slot_count; i++)
      if (i != keep && d->slot_role[i] == order[k]) return i;
  return d->cfg.slot_count;
}

/* Makes `role` the only buffer of its kind: another copy of a frame that changed is stale. */
static void set_role(wgw_device *d, unsigned slot, uint8_t role) {
  unsigned i;
  for (i = 0; i < d->cfg.slot_count; i++)
    if (d->slot_role[i] == role) d->slot_role[i] = WGW_SLOT_EMPTY;
  d->slot_role[slot] = role;
}

/* Reads a persisted frame into a buffer and checks it is the frame its hash names; 0 when it is. */
static int reload(wgw_device *d, unsigned slot, uint8_t role) {
  uint8_t hash[WGW_HASH_BYTES];
  uint8_t want[WGW_HASH_BYTES];
  wgw_held_info info;
  int found = 0;
  uint8_t *buf = d->cfg.slots[slot];
  const wgw_hooks *k = &d->cfg.hooks;
  d->slot_role[slot] = WGW_SLOT_EMPTY;
  if (role == WGW_SLOT_SHOWN) {
    if (k->load_shown(k->user, buf, d->frame_bytes, want, &found) != 0) return -1;
  } else {
    if (k->load_held(k->user, buf, d->frame_bytes, &info, &found) != 0) return -1;
    memcpy(want, info.hash, WGW_HASH_BYTES);
  }
  if (!found) return -1;
  wgw_frame_hash(d->cfg.width, d->cfg.height, d->cfg.planes, buf, d->frame_bytes, hash);
  if (memcmp(hash, want, WGW_HASH_BYTES) != 0 || memcmp(hash, role == WGW_SLOT_SHOWN ? d->shown_hash : d->held.hash, WGW_HASH_BYTES) != 0) return -1;
  d->slot_role[slot] = role;
  return 0;
}

/*
 * The header is complete: every check that can refuse the transfer before its payload, in the protocol's order.
 * Returns 1 when it goes on, 0 when it was refused (or failed) and *r says how.
 */
static int start_payload(wgw_device *d, wgw_result *r) {
  wgw_transfer *t = &d->t;
  wgw_header *h = &t->h;
  const uint8_t *b = t->head;
  size_t stride = ((size_t)d->cfg.width + 7u) / 8u;
  int delta;

  if (memcmp(b, MAGIC, sizeof MAGIC) != 0) {
    nak(d, r, WGW_NAK_BAD_MAGIC, 1, t->seq, "not a v1 frame header");
    return 0;
  }
  if ((uint32_t)crc32(0L, b, 112) != wgw_be32(b + 112)) {
    nak(d, r, WGW_NAK_BAD_CRC, 1, t->seq, "header CRC-32 mismatch");
    return 0;
  }
  if (b[4] != WGW_PROTOCOL) {
    nak(d, r, WGW_NAK_BAD_VERSION, 1, t->seq, "unknown protocol version");
    return 0;
  }
  read_header(b, h);
  if (h->seq != t->seq) {
    nak(d, r, WGW_NAK_MISSING_CHUNK, 1, t->seq, "header and chunk sequence numbers differ");
    return 0;
  }
  /* check 7 */
  if ((h->flags & (uint8_t)~WGW_FLAG_FULL_REFRESH) != 0) {
    nak(d, r, WGW_NAK_BAD_ENCODING, 1, h->seq, "reserved flag bits set");
    return 0;
  }
  if (h->encoding != ENC_FULL && h->encoding != ENC_XOR && h->encoding != ENC_REGION) {
    nak(d, r, WGW_NAK_BAD_ENCODING, 1, h->seq, "unknown encoding");
    return 0;
  }
  if (h->encoding == ENC_FULL && !all_zero(h->base_hash, WGW_WIRE_HASH_BYTES)) {
    nak(d, r, WGW_NAK_BAD_ENCODING, 1, h->seq, "full frame with a base hash");
    return 0;
  }
  if (h->encoding != ENC_FULL && h->activate_at != 0) {
    nak(d, r, WGW_NAK_BAD_ENCODING, 1, h->seq, "a frame for later must be a full frame");
    return 0;
  }
  if (!header_names_us(d, b + 32)) {
    nak(d, r, WGW_NAK_WRONG_DISPLAY, 1, h->seq, "frame for another display");
    return 0;
  }
  if (h->width != d->cfg.width || h->height != d->cfg.height || h->planes != d->cfg.planes) {
    nak(d, r, WGW_NAK_BAD_SIZE, 1, h->seq, "frame size differs from the panel");
    return 0;
  }
  if (h->region_w < 1 || h->region_h < 1 || (size_t)h->region_x + h->region_w > stride ||
      (uint32_t)h->region_y + h->region_h > h->height) {
    nak(d, r, WGW_NAK_BAD_SIZE, 1, h->seq, "region outside the frame");
    return 0;
  }
  delta = h->encoding != ENC_FULL;
  if (!delta && (h->region_x != 0 || h->region_y != 0 || h->region_w != stride || h->region_h != h->height)) {
    nak(d, r, WGW_NAK_BAD_SIZE, 1, h->seq, "a full frame must cover the whole panel");
    return 0;
  }
  /* check 10: the number before the base, so an old delta is "renumber", not "send a full frame" */
  t->repeat = 0;
  if (h->seq == 0 || (d->has_seq && h->seq < d->last_seq)) {
    nak(d, r, WGW_NAK_STALE_SEQ, 1, h->seq, "sequence number below the last accepted");
    return 0;
  }
  if (d->has_seq && h->seq == d->last_seq) {
    /* Rule R: a retransmission (its ack was lost) of what the panel shows or holds: verified, not applied, acked again. */
    int shows = d->has_shown && memcmp(h->frame_hash, d->shown_hash, WGW_WIRE_HASH_BYTES) == 0;
    int holds = d->has_held && memcmp(h->frame_hash, d->held.hash, WGW_WIRE_HASH_BYTES) == 0;
    if (!shows && !holds) {
      nak(d, r, WGW_NAK_STALE_SEQ, 1, h->seq, "sequence number already used for another frame");
      return 0;
    }
    t->repeat = 1;
  }
  if (!t->repeat && delta && (!d->has_shown || memcmp(h->base_hash, d->shown_hash, WGW_WIRE_HASH_BYTES) != 0)) {
    nak(d, r, WGW_NAK_BASE_MISMATCH, 1, h->seq, "delta base is not the frame on screen");
    return 0;
  }

  wgw_hmac_start(&t->mac, d->cfg.secret, WGW_SECRET_BYTES);
  wgw_hmac_update(&t->mac, b, WGW_HMAC_COVERED_HEADER);
  t->header_ok = 1;
  t->payload_seen = 0;
  t->deferred = WGW_NAK_NONE;
  t->deferred_detail = NULL;
  if (t->repeat) return 1;

  /* The work frame. A delta starts as the frame on screen: copied from its buffer, decoded in place when that is
     the only buffer, or read again through load_shown. */
  {
    unsigned shown = slot_with(d, WGW_SLOT_SHOWN);
    if (delta && shown < d->cfg.slot_count) {
      t->back = free_slot(d, shown);
      if (t->back < d->cfg.slot_count) memcpy(d->cfg.slots[t->back], d->cfg.slots[shown], d->frame_bytes);
      else t->back = shown;
    } else {
      t->back = free_slot(d, d->cfg.slot_count);
      if (delta && reload(d, t->back, WGW_SLOT_SHOWN) != 0) {
        /* what the panel shows cannot be read back as the frame its hash names: it is nothing to build on */
        d->has_shown = 0;
        nak(d, r, WGW_NAK_BASE_MISMATCH, 1, h->seq, "the frame on screen cannot be read back");
        return 0;
      }
    }
    d->slot_role[t->back] = WGW_SLOT_WORK;
  }
  t->out = 0;
  t->out_total = (uint32_t)h->planes * h->region_w * h->region_h;
  t->cur_plane = 0;
  t->cur_row = 0;
  t->cur_col = 0;
  t->arena_used = 0;
  memset(&t->z, 0, sizeof t->z);
  t->z.zalloc = arena_alloc;
  t->z.zfree = arena_free;
  t->z.opaque = d;
  if (inflateInit2(&t->z, -WGW_WINDOW_BITS) != Z_OK) {
    failed(d, r, WGW_ERR_ARENA);
    return 0;
  }
  t->z_live = 1;
  t->z_end = 0;
  return 1;
}

/* ---- payload --------------------------------------------------------------------------------------------- */

static void defer(wgw_transfer *t, wgw_nak_reason reason, const char *detail) {
  if (t->deferred == WGW_NAK_NONE) {
    t->deferred = reason;
    t->deferred_detail = detail;
  }
}

/* Inflated bytes into the region of the back buffer: plane after plane, row after row. */
static void apply(wgw_device *d, const unsigned char *p, size_t n) {
  wgw_transfer *t = &d->t;
  const wgw_header *h = &t->h;
  size_t stride = ((size_t)h->width + 7u) / 8u;
  size_t plane_bytes = stride * h->height;
  uint8_t *frame = d->cfg.slots[t->back];
  int xor_mode = h->encoding == ENC_XOR;
  size_t i = 0;
  if (n > (size_t)(t->out_total - t->out)) {
    defer(t, WGW_NAK_BAD_SIZE, "payload inflates beyond the region");
    n = (size_t)(t->out_total - t->out);
  }
  while (i < n) {
    /* a run within one row of the region */
    size_t row_left = (size_t)h->region_w - t->cur_col;
    size_t run = n - i < row_left ? n - i : row_left;
    uint8_t *dst = frame + (size_t)t->cur_plane * plane_bytes + ((size_t)h->region_y + t->cur_row) * stride + h->region_x + t->cur_col;
    size_t k;
    if (xor_mode) {
      for (k = 0; k < run; k++) dst[k] = (uint8_t)(dst[k] ^ p[i + k]);
    } else {
      memcpy(dst, p + i, run);
    }
    i += run;
    t->cur_col = (uint16_t)(t->cur_col + run);
    if (t->cur_col == h->region_w) {
      t->cur_col = 0;
      t->cur_row++;
      if (t->cur_row == h->region_h) {
        t->cur_row = 0;
        t->cur_plane++;
      }
    }
  }
  t->out += (uint32_t)n;
}

/* Runs inflate over the input it has (none at the end: flushes what zlib still holds). */
static void inflate_some(wgw_device *d, const uint8_t *in, size_t n) {
  wgw_transfer *t = &d->t;
  t->z.next_in = (Bytef *)(uintptr_t)in; /* zlib 1.2 declares next_in without const; it only reads */
  t->z.avail_in = (uInt)n;
  for (;;) {
    int rc;
    size_t produced;
    if (t->deferred != WGW_NAK_NONE) return; /* one error is enough; the rest only feeds the HMAC */
    if (t->z_end) {
      if (t->z.avail_in > 0) defer(t, WGW_NAK_INFLATE, "data after the end of the deflate stream");
      return;
    }
    t->z.next_out = t->block;
    t->z.avail_out = (uInt)sizeof t->block;
    rc = inflate(&t->z, Z_NO_FLUSH);
    produced = sizeof t->block - t->z.avail_out;
    if (produced > 0) apply(d, t->block, produced);
    if (rc == Z_STREAM_END) {
      t->z_end = 1;
      continue;
    }
    if (rc == Z_BUF_ERROR) return; /* no progress possible: it needs more input */
    if (rc != Z_OK) {
      defer(t, WGW_NAK_INFLATE, rc == Z_MEM_ERROR ? "inflate out of memory" : "invalid deflate data");
      return;
    }
    if (t->z.avail_in == 0 && t->z.avail_out != 0) return;
  }
}

static void take_payload(wgw_device *d, const uint8_t *p, size_t n) {
  wgw_transfer *t = &d->t;
  uint32_t room = t->h.payload_length - t->payload_seen;
  size_t use = n < room ? n : room;
  /* Bytes beyond the announced length make the length check fail at the end; they are neither hashed nor inflated. */
  if (n > room) t->payload_seen = t->h.payload_length + 1u;
  else t->payload_seen += (uint32_t)n;
  if (use == 0) return;
  wgw_hmac_update(&t->mac, p, use);
  if (!t->repeat) inflate_some(d, p, use);
}

/* ---- the end of a transfer ------------------------------------------------------------------------------------ */

static void ack(wgw_device *d, wgw_result *r, uint32_t seq, const uint8_t hash[WGW_HASH_BYTES], uint32_t activate_at) {
  ended(d, seq);
  r->status = WGW_ACK;
  r->has_seq = 1;
  r->seq = seq;
  memcpy(r->hash, hash, WGW_HASH_BYTES);
  r->activate_at = activate_at;
}

static void finish(wgw_device *d, uint64_t now_ms, wgw_result *r) {
  wgw_transfer *t = &d->t;
  wgw_header h = t->h;
  uint8_t mac[WGW_HASH_BYTES];
  uint8_t hash[WGW_HASH_BYTES];
  unsigned back = t->back;
  int tag_ok;

  if (!t->header_ok) {
    nak(d, r, WGW_NAK_TRUNCATED, 1, t->seq, "transfer ended inside the header");
    return;
  }
  if (t->payload_seen < h.payload_length) {
    nak(d, r, WGW_NAK_TRUNCATED, 1, h.seq, "fewer payload bytes than the header announces");
    return;
  }
  if (t->payload_seen > h.payload_length) {
    nak(d, r, WGW_NAK_BAD_SIZE, 1, h.seq, "more payload bytes than the header announces");
    return;
  }
  if (!t->repeat) {
    inflate_some(d, NULL, 0);
    if (t->deferred == WGW_NAK_INFLATE) {
      nak(d, r, WGW_NAK_INFLATE, 1, h.seq, t->deferred_detail);
      return;
    }
    if (t->deferred == WGW_NAK_NONE && !t->z_end) {
      nak(d, r, WGW_NAK_INFLATE, 1, h.seq, "deflate stream does not end");
      return;
    }
  }
  wgw_hmac_finish(&t->mac, mac);
  tag_ok = wgw_equal_ct(mac, h.tag, WGW_TAG_BYTES);
  if (!tag_ok) {
    nak(d, r, WGW_NAK_BAD_HMAC, 1, h.seq, "authentication tag does not match");
    return;
  }
  if (t->repeat) {
    /* Acknowledged again with the state now: on screen (preferred), or held for its second. */
    int shows = d->has_shown && memcmp(h.frame_hash, d->shown_hash, WGW_WIRE_HASH_BYTES) == 0;
    end_transfer(d);
    if (shows || !d->has_held) ack(d, r, h.seq, d->shown_hash, 0);
    else ack(d, r, h.seq, d->held.hash, d->held.activate_at);
    r->repeated = 1;
    return;
  }
  if (t->deferred == WGW_NAK_BAD_SIZE || t->out != t->out_total) {
    nak(d, r, WGW_NAK_BAD_SIZE, 1, h.seq, t->deferred == WGW_NAK_BAD_SIZE ? t->deferred_detail : "payload inflates to less than the region");
    return;
  }
  wgw_frame_hash(h.width, h.height, h.planes, d->cfg.slots[back], d->frame_bytes, hash);
  if (memcmp(hash, h.frame_hash, WGW_WIRE_HASH_BYTES) != 0) {
    nak(d, r, WGW_NAK_BAD_HASH, 1, h.seq, "frame hash does not match the decoded image");
    return;
  }
  end_transfer(d);

  /* Accepted. The number first: after a power loss from here on, this transfer can never be accepted again. */
  if (d->cfg.hooks.store_seq(d->cfg.hooks.user, h.seq) != 0) {
    failed(d, r, WGW_ERR_STORAGE);
    return;
  }
  d->has_seq = 1;
  d->last_seq = h.seq;
  if ((uint64_t)h.activate_at * 1000u > now_ms) {
    wgw_held_info info;
    info.seq = h.seq;
    info.activate_at = h.activate_at;
    memcpy(info.hash, hash, WGW_HASH_BYTES);
    if (d->cfg.hooks.store_held(d->cfg.hooks.user, d->cfg.slots[back], d->frame_bytes, &info) != 0) {
      d->has_held = 0;
      d->slot_role[back] = WGW_SLOT_EMPTY;
      failed(d, r, WGW_ERR_STORAGE);
      return;
    }
    d->has_held = 1;
    d->held = info;
    set_role(d, back, WGW_SLOT_HELD);
    ack(d, r, h.seq, hash, h.activate_at);
    return;
  }
  /* Shown now: a held frame is dropped first, so it can never come back over this newer one after a power loss. */
  if (d->has_held) {
    if (d->cfg.hooks.store_held(d->cfg.hooks.user, NULL, 0, NULL) != 0) {
      d->slot_role[back] = WGW_SLOT_EMPTY;
      failed(d, r, WGW_ERR_STORAGE);
      return;
    }
    d->has_held = 0;
    if (slot_with(d, WGW_SLOT_HELD) < d->cfg.slot_count) d->slot_role[slot_with(d, WGW_SLOT_HELD)] = WGW_SLOT_EMPTY;
  }
  r->changed = !d->has_shown || memcmp(d->shown_hash, hash, WGW_HASH_BYTES) != 0;
  if (d->cfg.hooks.show(d->cfg.hooks.user, d->cfg.slots[back], d->frame_bytes, hash,
                        (h.flags & WGW_FLAG_FULL_REFRESH) != 0 || h.encoding == ENC_FULL) != 0) {
    /* The panel may show either frame now; the hash it reports after a reboot says which. */
    d->slot_role[back] = WGW_SLOT_EMPTY;
    if (slot_with(d, WGW_SLOT_SHOWN) < d->cfg.slot_count) d->slot_role[slot_with(d, WGW_SLOT_SHOWN)] = WGW_SLOT_EMPTY;
    failed(d, r, WGW_ERR_STORAGE);
    return;
  }
  d->has_shown = 1;
  set_role(d, back, WGW_SLOT_SHOWN);
  memcpy(d->shown_hash, hash, WGW_HASH_BYTES);
  ack(d, r, h.seq, hash, 0);
}

/* ---- chunks ---------------------------------------------------------------------------------------------------- */

void wgw_feed(wgw_device *d, const uint8_t *c, size_t len, uint64_t now_ms, wgw_result *r) {
  wgw_transfer *t = &d->t;
  uint16_t n;
  uint32_t seq;
  uint16_t index;
  uint16_t count;
  const uint8_t *data;
  size_t take;

  memset(r, 0, sizeof *r);
  r->status = WGW_MORE;
  if (t->active && now_ms > t->last_ms && now_ms - t->last_ms > WGW_ABANDON_MS) end_transfer(d);

  /* Check 1, the chunk's integrity: nothing in an unverified chunk is believed, its length field included. */
  {
    const char *bad = NULL;
    if (len < WGW_CHUNK_OVERHEAD) bad = "chunk shorter than its frame";
    else if (len > d->cfg.max_chunk) bad = "chunk larger than maxChunk";
    else if (len != (size_t)WGW_CHUNK_OVERHEAD + wgw_be16(c + 8)) bad = "chunk length differs from its length field";
    else if ((uint32_t)crc32(0L, c, (uInt)(len - 4)) != wgw_be32(c + len - 4)) bad = "chunk CRC-32 mismatch";
    if (bad != NULL) {
      /* nothing in progress: nothing to end and no number to trust; a damaged chunk 0 shows at the next chunk */
      if (t->active) nak(d, r, WGW_NAK_BAD_CRC, 1, t->seq, bad);
      else r->status = WGW_QUIET;
      return;
    }
  }
  seq = wgw_be32(c);
  index = wgw_be16(c + 4);
  count = wgw_be16(c + 6);
  n = wgw_be16(c + 8);
  data = c + 10;

  /* Check 2, the order. Without a transfer in progress an out-of-order chunk is answered once, with its own
     number — not at all if it belongs to the transfer that ended last (its remaining chunks, stray copies). */
  if (count == 0 || index >= count) {
    if (t->active) nak(d, r, WGW_NAK_MISSING_CHUNK, 1, t->seq, "chunk index outside its count");
    else if (d->ended && seq == d->ended_seq) r->status = WGW_QUIET;
    else nak(d, r, WGW_NAK_MISSING_CHUNK, 1, seq, "chunk index outside its count");
    return;
  }
  if (index == 0) {
    /* always a new transfer: replaces the one in progress (the controller's retry restarts it) */
    if (t->active) end_transfer(d);
    memset(t, 0, offsetof(wgw_transfer, block));
    t->active = 1;
    t->seq = seq;
    t->count = count;
    t->next = 0;
  } else if (!t->active) {
    if (d->ended && seq == d->ended_seq) {
      r->status = WGW_QUIET; /* the rest of a transfer already answered, or a stray copy */
      return;
    }
    nak(d, r, WGW_NAK_MISSING_CHUNK, 1, seq, "chunk without the start of its transfer");
    return;
  } else if (seq == t->seq && count == t->count && index < t->next) {
    r->status = WGW_QUIET; /* delivered twice (MQTT QoS 1 is at least once) */
    return;
  } else if (seq != t->seq || count != t->count) {
    nak(d, r, WGW_NAK_MISSING_CHUNK, 1, t->seq, "chunk of another transfer");
    return;
  } else if (index != t->next) {
    nak(d, r, WGW_NAK_MISSING_CHUNK, 1, t->seq, "a chunk is missing");
    return;
  }
  t->next++;
  t->last_ms = now_ms;

  if (t->head_len < WGW_HEADER_BYTES) {
    take = (size_t)(WGW_HEADER_BYTES - t->head_len) < n ? (size_t)(WGW_HEADER_BYTES - t->head_len) : n;
    memcpy(t->head + t->head_len, data, take);
    t->head_len = (uint16_t)(t->head_len + take);
    data += take;
    n = (uint16_t)(n - take);
    if (t->head_len == WGW_HEADER_BYTES && !start_payload(d, r)) return;
  }
  if (t->header_ok && n > 0) take_payload(d, data, n);
  if (t->next < t->count) return;
  finish(d, now_ms, r);
}

int wgw_poll(wgw_device *d, uint64_t now_ms) {
  unsigned slot;
  int changed;
  if (d->t.active && now_ms > d->t.last_ms && now_ms - d->t.last_ms > WGW_ABANDON_MS) end_transfer(d);
  if (!d->has_held || (uint64_t)d->held.activate_at * 1000u > now_ms) return 0;
  slot = slot_with(d, WGW_SLOT_HELD);
  if (slot >= d->cfg.slot_count) {
    /* read it again into a buffer no transfer is using (with one buffer and a transfer in progress: after it) */
    slot = free_slot(d, d->cfg.slot_count);
    if (slot >= d->cfg.slot_count || d->slot_role[slot] == WGW_SLOT_WORK) return 0;
    if (reload(d, slot, WGW_SLOT_HELD) != 0) {
      /* damaged in flash: not a verified frame any more; dropped (the controller sees scheduledHash null) */
      d->has_held = 0;
      return d->cfg.hooks.store_held(d->cfg.hooks.user, NULL, 0, NULL) != 0 ? WGW_ERR_STORAGE : 0;
    }
  }
  changed = !d->has_shown || memcmp(d->shown_hash, d->held.hash, WGW_HASH_BYTES) != 0;
  /* Shown first, then forgotten: a power loss in between shows the same frame again, never an older one. */
  if (d->cfg.hooks.show(d->cfg.hooks.user, d->cfg.slots[slot], d->frame_bytes, d->held.hash, 1) != 0) return WGW_ERR_STORAGE;
  d->has_shown = 1;
  memcpy(d->shown_hash, d->held.hash, WGW_HASH_BYTES);
  set_role(d, slot, WGW_SLOT_SHOWN);
  d->has_held = 0;
  if (d->cfg.hooks.store_held(d->cfg.hooks.user, NULL, 0, NULL) != 0) return WGW_ERR_STORAGE;
  return changed;
}

/* ---- set-up ----------------------------------------------------------------------------------------------- */

wgw_err wgw_init(wgw_device *d, const wgw_config *cfg) {
  const wgw_hooks *k;
  unsigned i;
  int found = 0;
  uint8_t hash[WGW_HASH_BYTES];
  uint32_t v = 0;
  if (d == NULL || cfg == NULL || !wgw_valid_id(cfg->id)) return WGW_ERR_ARG;
  k = &cfg->hooks;
  if (!k->load_seq || !k->store_seq || !k->load_ctr || !k->store_ctr || !k->load_shown || !k->show || !k->load_held || !k->store_held) return WGW_ERR_ARG;
  if (cfg->width == 0 || cfg->height == 0 || cfg->planes < 1 || cfg->planes > 2) return WGW_ERR_ARG;
  if (cfg->slot_count < 1 || cfg->slot_count > WGW_MAX_SLOTS) return WGW_ERR_ARG;
  if (cfg->slot_bytes < WGW_FRAME_BYTES(cfg->width, cfg->height, cfg->planes)) return WGW_ERR_ARG;
  if (cfg->max_chunk < WGW_MIN_CHUNK) return WGW_ERR_ARG;
  for (i = 0; i < cfg->slot_count; i++)
    if (cfg->slots[i] == NULL) return WGW_ERR_ARG;
  memset(d, 0, offsetof(wgw_device, arena));
  d->cfg = *cfg;
  d->id_len = strlen(cfg->id);
  memcpy(d->id, cfg->id, d->id_len + 1);
  d->cfg.id = d->id;
  d->frame_bytes = WGW_FRAME_BYTES(cfg->width, cfg->height, cfg->planes);

  /* Does zlib's inflate fit the arena on this target? Better to know at boot than at the first frame. */
  memset(&d->t.z, 0, sizeof d->t.z);
  d->t.z.zalloc = arena_alloc;
  d->t.z.zfree = arena_free;
  d->t.z.opaque = d;
  if (inflateInit2(&d->t.z, -WGW_WINDOW_BITS) != Z_OK) return WGW_ERR_ARENA;
  {
    /* zlib allocates the window at the first output: inflate one stored byte */
    static const uint8_t empty_block[6] = {0x01, 0x01, 0x00, 0xfe, 0xff, 0x00};
    uint8_t out[1];
    d->t.z.next_in = (Bytef *)(uintptr_t)empty_block;
    d->t.z.avail_in = sizeof empty_block;
    d->t.z.next_out = out;
    d->t.z.avail_out = sizeof out;
    (void)inflate(&d->t.z, Z_NO_FLUSH);
  }
  (void)inflateEnd(&d->t.z);
  if (d->arena_peak < (1u << WGW_WINDOW_BITS)) return WGW_ERR_ARENA;
  memset(&d->t, 0, offsetof(wgw_transfer, block));

  if (k->load_seq(k->user, &v, &found) != 0) return WGW_ERR_STORAGE;
  d->has_seq = found && v != 0; /* 0 is never sent: a stored 0 means none */
  d->last_seq = d->has_seq ? v : 0;

  found = 0;
  v = 0;
  if (k->load_ctr(k->user, &v, &found) != 0) return WGW_ERR_STORAGE;
  /* Every counter up to the reservation may have been used before the power went: continue above it. */
  d->ctr_reserved = found ? v : 0;
  d->ctr_exhausted = found && v == UINT32_MAX;
  d->ctr_next = d->ctr_exhausted ? UINT32_MAX : d->ctr_reserved + 1u;

  /* The held frame first (into the last buffer), then the frame on screen into the first: with one buffer, the
     shown frame is the one kept at hand. A damaged copy is not a verified frame: reported as none. */
  found = 0;
  if (k->load_held(k->user, cfg->slots[cfg->slot_count - 1], d->frame_bytes, &d->held, &found) != 0) return WGW_ERR_STORAGE;
  if (found) {
    wgw_frame_hash(cfg->width, cfg->height, cfg->planes, cfg->slots[cfg->slot_count - 1], d->frame_bytes, hash);
    d->has_held = memcmp(hash, d->held.hash, WGW_HASH_BYTES) == 0;
    if (d->has_held) d->slot_role[cfg->slot_count - 1] = WGW_SLOT_HELD;
  }
  found = 0;
  if (k->load_shown(k->user, cfg->slots[0], d->frame_bytes, d->shown_hash, &found) != 0) return WGW_ERR_STORAGE;
  if (found) {
    /* a damaged copy is not the frame on screen: report nothing, and the controller sends a full frame */
    wgw_frame_hash(cfg->width, cfg->height, cfg->planes, cfg->slots[0], d->frame_bytes, hash);
    d->has_shown = memcmp(hash, d->shown_hash, WGW_HASH_BYTES) == 0;
    d->slot_role[0] = d->has_shown ? WGW_SLOT_SHOWN : WGW_SLOT_EMPTY;
  }
  return WGW_OK;
}

const uint8_t *wgw_shown_frame(const wgw_device *d) {
  unsigned slot = slot_with(d, WGW_SLOT_SHOWN);
  return d->has_shown && slot < d->cfg.slot_count ? d->cfg.slots[slot] : NULL;
}

const uint8_t *wgw_shown_hash(const wgw_device *d) {
  return d->has_shown ? d->shown_hash : NULL;
}

const uint8_t *wgw_held_hash(const wgw_device *d) {
  return d->has_held ? d->held.hash : NULL;
}

size_t wgw_frame_bytes(const wgw_device *d) {
  return d->frame_bytes;
}

int wgw_last_seq(const wgw_device *d, uint32_t *seq) {
  if (d->has_seq && seq != NULL) *seq = d->last_seq;
  return d->has_seq;
}

size_t wgw_inflate_arena_peak(const wgw_device *d) {
  return d->arena_peak;
}

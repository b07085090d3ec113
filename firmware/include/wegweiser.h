/*
 * Wegweiser device library: the display side of protocol v1.1 (docs/protocol.md), portable C99.
 *
 * No heap. Everything the library holds lives in one `wgw_device` the caller allocates (statically, on a
 * microcontroller); the frame buffers and the persistent storage are the caller's, reached through `wgw_config`.
 * SHA-256 comes from mbedTLS, CRC-32 and inflate from zlib (both ship with ESP-IDF and Zephyr); zlib allocates its
 * inflate state and 4 KB window from a fixed arena inside `wgw_device`.
 *
 * A display calls, in this order:
 *   wgw_init()               once per boot: loads what it persisted (last sequence number, shown and held frame,
 *                            message counter) through the hooks;
 *   wgw_msg_hello()          on every (re)connect, and when the controller announces itself (bridge/state online);
 *   wgw_feed()               for every chunk received on …/frame; publish wgw_msg_ack()/wgw_msg_nak() when it says so;
 *   wgw_poll()               now and then (≤ 1 s apart): shows a held frame at its activate-at second and discards
 *                            a transfer abandoned for more than 30 s;
 *   wgw_msg_checkin()        when a sleepy display wakes; wgw_control_verify() for what arrives on …/control.
 *
 * Every function returns at once (no blocking, no callbacks into the network); the hooks are the only calls out.
 */
#ifndef WEGWEISER_H
#define WEGWEISER_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <mbedtls/sha256.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- protocol constants (docs/protocol.md) ---------------------------------------------------------------- */

#define WGW_PROTOCOL 1
#define WGW_PROTOCOL_MINOR 1
#define WGW_HEADER_BYTES 116
#define WGW_HMAC_COVERED_HEADER 96
#define WGW_CHUNK_OVERHEAD 14
/** the smallest chunk a controller sends (header included) */
#define WGW_MIN_CHUNK 32
#define WGW_HASH_BYTES 32
#define WGW_HASH_HEX 64
#define WGW_WIRE_HASH_BYTES 16
#define WGW_TAG_BYTES 16
#define WGW_SECRET_BYTES 32
#define WGW_ID_MAX 32
#define WGW_WINDOW_BITS 12
/** a transfer without a chunk for this long is discarded (no nak) */
#define WGW_ABANDON_MS 30000u
#define WGW_CONTROL_BYTES 40
#define WGW_CONTROL_MAX_RTT_MS 30000u
/** the MQTT password: base64url without padding of 32 bytes, plus NUL */
#define WGW_MQTT_PASSWORD_CHARS 44
#define WGW_FLAG_FULL_REFRESH 0x01u

/* ---- compile-time sizes ------------------------------------------------------------------------------------ */

/** Bytes of one plane and of a whole frame (all planes back to back), for sizing the caller's frame buffers. */
#define WGW_PLANE_BYTES(w, h) ((((size_t)(w) + 7u) / 8u) * (size_t)(h))
#define WGW_FRAME_BYTES(w, h, planes) (WGW_PLANE_BYTES(w, h) * (size_t)(planes))

/* The panel classes the controller knows (renderer/panels.ts). */
#define WGW_EPD_7IN5_WIDTH 800
#define WGW_EPD_7IN5_HEIGHT 480
#define WGW_EPD_7IN5_BW_FRAME_BYTES WGW_FRAME_BYTES(800, 480, 1)  /* 48,000 */
#define WGW_EPD_7IN5_BWR_FRAME_BYTES WGW_FRAME_BYTES(800, 480, 2) /* 96,000 */

/**
 * zlib's inflate state (sizeof(struct inflate_state): 7,160 B with 64-bit pointers, less on 32-bit MCUs) plus its
 * window of 2^12 bytes. zlib asks for both through zalloc; the arena hands them out and wgw_init checks they fit.
 */
#ifndef WGW_INFLATE_STATE_BYTES
#define WGW_INFLATE_STATE_BYTES 7168u
#endif
#define WGW_INFLATE_ARENA_BYTES (WGW_INFLATE_STATE_BYTES + 32u + (1u << WGW_WINDOW_BITS))
/** inflate output is applied to the frame in blocks of this size */
#ifndef WGW_INFLATE_BLOCK
#define WGW_INFLATE_BLOCK 256u
#endif
/** the device-message counter is persisted once per this many messages */
#ifndef WGW_CTR_BLOCK
#define WGW_CTR_BLOCK 256u
#endif

/* ---- results ------------------------------------------------------------------------------------------------ */

typedef enum wgw_err {
  WGW_OK = 0,
  /** a bad argument (configuration, a NULL pointer, a display id that is not one) */
  WGW_ERR_ARG = -1,
  /** a persistence hook failed: nothing was shown or answered */
  WGW_ERR_STORAGE = -2,
  /** the caller's buffer is too small */
  WGW_ERR_SPACE = -3,
  /** the message counter reached 4294967295: the display needs a factory reset and a new secret */
  WGW_ERR_CTR_EXHAUSTED = -4,
  /** zlib's inflate state does not fit WGW_INFLATE_ARENA_BYTES on this target: raise WGW_INFLATE_STATE_BYTES */
  WGW_ERR_ARENA = -5
} wgw_err;

/** Nak reasons, in the order the display checks them (docs/protocol.md, "check order"). */
typedef enum wgw_nak_reason {
  WGW_NAK_NONE = 0,
  WGW_NAK_TRUNCATED,
  WGW_NAK_BAD_MAGIC,
  WGW_NAK_BAD_VERSION,
  WGW_NAK_BAD_SIZE,
  WGW_NAK_BAD_CRC,
  WGW_NAK_BAD_HASH,
  WGW_NAK_BAD_HMAC,
  WGW_NAK_BAD_ENCODING,
  WGW_NAK_STALE_SEQ,
  WGW_NAK_MISSING_CHUNK,
  WGW_NAK_BASE_MISMATCH,
  WGW_NAK_WRONG_DISPLAY,
  WGW_NAK_INFLATE
} wgw_nak_reason;

/** The wire name of a nak reason ("bad-crc", …); "" for WGW_NAK_NONE. */
const char *wgw_nak_reason_name(wgw_nak_reason reason);

typedef enum wgw_status {
  /** the chunk was taken; the transfer goes on */
  WGW_MORE = 0,
  /** the chunk was dropped quietly (the rest of a transfer that already ended, a duplicate) */
  WGW_QUIET,
  /** the transfer verified: publish wgw_msg_ack() */
  WGW_ACK,
  /** the transfer was refused: publish wgw_msg_nak() */
  WGW_NAK,
  /** a persistence hook failed (see wgw_result.err): nothing shown, nothing to answer; the controller retries */
  WGW_FAILED
} wgw_status;

typedef struct wgw_result {
  wgw_status status;
  /* WGW_ACK and WGW_NAK */
  int has_seq;
  uint32_t seq;
  /* WGW_ACK: the full SHA-256 of the frame, when it shows (0 = now, else the unix second it is held for) */
  uint8_t hash[WGW_HASH_BYTES];
  uint32_t activate_at;
  /** the panel now shows something else */
  int changed;
  /** a retransmission of what it already shows or holds: acknowledged again, nothing applied */
  int repeated;
  /* WGW_NAK */
  wgw_nak_reason reason;
  /** a short static English explanation (the nak's `detail`) */
  const char *detail;
  /* WGW_FAILED */
  wgw_err err;
} wgw_result;

/* ---- persistence and panel hooks ---------------------------------------------------------------------------- */

typedef struct wgw_held_info {
  uint32_t seq;
  /** unix seconds */
  uint32_t activate_at;
  uint8_t hash[WGW_HASH_BYTES];
} wgw_held_info;

/**
 * What a display keeps across a power loss, and its panel. Every hook returns 0 on success, anything else on failure;
 * a store hook returns only once the value is durable (flash written). `load_*` set *found to 0 when nothing is
 * stored (a new display), and then leave the buffer as it was. The library calls them in the order the protocol
 * requires: the sequence number is stored
 * before a frame is shown or held and before the ack; a held frame is dropped before a newer frame is shown.
 */
typedef struct wgw_hooks {
  void *user;
  int (*load_seq)(void *user, uint32_t *seq, int *found);
  int (*store_seq)(void *user, uint32_t seq);
  /** the device-message counter's reservation: every counter up to it may have been used */
  int (*load_ctr)(void *user, uint32_t *reserved, int *found);
  int (*store_ctr)(void *user, uint32_t reserved);
  /**
   * The frame on the panel and its hash (e-paper keeps its image; the caller keeps a copy in flash or reads the
   * panel back). Called at boot, and again whenever a delta needs it and no frame buffer kept it.
   */
  int (*load_shown)(void *user, uint8_t *frame, size_t bytes, uint8_t hash[WGW_HASH_BYTES], int *found);
  /** puts a verified frame on the panel and keeps it with its hash (full_refresh: clear ghosting) */
  int (*show)(void *user, const uint8_t *frame, size_t bytes, const uint8_t hash[WGW_HASH_BYTES], int full_refresh);
  /** the frame held for its activate-at second: at boot, and at that second if no frame buffer kept it */
  int (*load_held)(void *user, uint8_t *frame, size_t bytes, wgw_held_info *info, int *found);
  /** keeps a held frame; frame NULL: there is none any more */
  int (*store_held)(void *user, const uint8_t *frame, size_t bytes, const wgw_held_info *info);
} wgw_hooks;

#define WGW_MAX_SLOTS 3
#define WGW_SLOT_EMPTY 0
#define WGW_SLOT_SHOWN 1
#define WGW_SLOT_HELD 2
#define WGW_SLOT_WORK 3

typedef struct wgw_config {
  /** the display id: [A-Za-z0-9][A-Za-z0-9._-]{0,31} */
  const char *id;
  uint8_t secret[WGW_SECRET_BYTES];
  uint16_t width;
  uint16_t height;
  /** 1: black/white; 2: black/white/red */
  uint8_t planes;
  /**
   * Frame buffers in RAM, each at least WGW_FRAME_BYTES(width, height, planes); 1 to 3. One is the work frame a
   * transfer is decoded into (a frame is shown only once it verified; a delta starts as a copy of the frame on screen).
   * The others keep the frame on screen and the held frame at hand; without them the library reads those again
   * through load_shown / load_held (from the panel or flash) when it needs them. 1 buffer is the least RAM; 3 never
   * read anything back.
   */
  uint8_t *slots[WGW_MAX_SLOTS];
  unsigned slot_count;
  size_t slot_bytes;
  /** the largest chunk the display's receive buffer takes, header included (advertised as `maxChunk`) */
  uint16_t max_chunk;
  wgw_hooks hooks;
} wgw_config;

/* ---- the device ----------------------------------------------------------------------------------------------- */

/** HMAC-SHA256 as two keyed SHA-256 states (mbedTLS's md layer would allocate its HMAC context on the heap). */
typedef struct wgw_hmac {
  mbedtls_sha256_context inner;
  mbedtls_sha256_context outer;
} wgw_hmac;

/** The header fields of a transfer in progress, as read from the wire. */
typedef struct wgw_header {
  uint8_t encoding;
  uint8_t planes;
  uint8_t flags;
  uint16_t width;
  uint16_t height;
  uint32_t seq;
  uint32_t activate_at;
  uint32_t payload_length;
  uint16_t region_x;
  uint16_t region_w;
  uint16_t region_y;
  uint16_t region_h;
  uint8_t frame_hash[WGW_WIRE_HASH_BYTES];
  uint8_t base_hash[WGW_WIRE_HASH_BYTES];
  uint8_t tag[WGW_TAG_BYTES];
} wgw_header;

/** zlib's allocations come from here; aligned for any object zlib keeps in it. */
typedef union wgw_arena {
  unsigned char bytes[WGW_INFLATE_ARENA_BYTES];
  void *align_pointer;
  uint64_t align_u64;
  double align_double;
} wgw_arena;

typedef struct wgw_transfer {
  int active;
  uint32_t seq;
  uint16_t count;
  uint16_t next;
  uint64_t last_ms;
  uint8_t head[WGW_HEADER_BYTES];
  uint16_t head_len;
  int header_ok;
  /** seq == last accepted and the frame is the one shown or held: verify only, then acknowledge again */
  int repeat;
  wgw_header h;
  uint32_t payload_seen;
  wgw_hmac mac;
  z_stream z;
  int z_live;
  int z_end;
  size_t arena_used;
  unsigned back;
  /* where the next inflated byte goes: plane, row and byte within the region */
  uint32_t out;
  uint32_t out_total;
  uint16_t cur_plane;
  uint16_t cur_row;
  uint16_t cur_col;
  /** the first payload error (inflate, size), reported at the end in the check order */
  wgw_nak_reason deferred;
  const char *deferred_detail;
  unsigned char block[WGW_INFLATE_BLOCK];
} wgw_transfer;

typedef struct wgw_device {
  wgw_config cfg;
  char id[WGW_ID_MAX + 1];
  size_t id_len;
  size_t frame_bytes;
  /* what it persisted (mirrored in RAM) */
  int has_seq;
  uint32_t last_seq;
  int has_shown;
  uint8_t shown_hash[WGW_HASH_BYTES];
  int has_held;
  wgw_held_info held;
  /** what each frame buffer holds now (WGW_SLOT_…): the frame buffers cache the persisted frames */
  uint8_t slot_role[WGW_MAX_SLOTS];
  uint32_t ctr_next;
  uint32_t ctr_reserved;
  int ctr_exhausted;
  /* the `time` of its latest check-in: the only one a control message may answer */
  int has_checkin;
  uint64_t checkin_time;
  /* the last transfer that ended (acked or refused) since boot: its other chunks are dropped quietly */
  int ended;
  uint32_t ended_seq;
  /** the most of the inflate arena zlib ever used */
  size_t arena_peak;
  wgw_transfer t;
  wgw_arena arena;
} wgw_device;

/** Checks the configuration and loads the persisted state through the hooks. */
wgw_err wgw_init(wgw_device *d, const wgw_config *cfg);

/** Feeds one chunk exactly as received; `now_ms` is the display's clock (unix ms). */
void wgw_feed(wgw_device *d, const uint8_t *chunk, size_t len, uint64_t now_ms, wgw_result *out);

/**
 * The display's timer: shows a held frame once its activate-at second has come, and discards a transfer that got no
 * chunk for WGW_ABANDON_MS. Returns 1 when the panel changed, 0 if not, or a negative wgw_err (a hook failed).
 */
int wgw_poll(wgw_device *d, uint64_t now_ms);

/** A transfer is in progress (a sleepy display stays awake for it). */
int wgw_busy(const wgw_device *d);

/** Power loss without the power loss: forgets the transfer in progress (RAM), keeps what is persisted. */
void wgw_abort_transfer(wgw_device *d);

/* What the display shows and holds (hashes NULL when nothing; the frame NULL when no buffer holds it now). */
const uint8_t *wgw_shown_frame(const wgw_device *d);
const uint8_t *wgw_shown_hash(const wgw_device *d);
const uint8_t *wgw_held_hash(const wgw_device *d);
size_t wgw_frame_bytes(const wgw_device *d);
/** 1 and *seq when it has accepted a transfer */
int wgw_last_seq(const wgw_device *d, uint32_t *seq);
/** bytes of the inflate arena zlib used at most (for the RAM table) */
size_t wgw_inflate_arena_peak(const wgw_device *d);

/* ---- device messages (JSON, authenticated: "ctr" and "tag" last) ---------------------------------------------- */

typedef struct wgw_hello_info {
  /** printable ASCII, ≤ 64 characters */
  const char *firmware;
  /** the panel profile id, e.g. "epd-7in5-bw" */
  const char *panel;
  uint32_t battery_mv;
} wgw_hello_info;

typedef struct wgw_telemetry {
  uint32_t battery_mv;
  /** dBm */
  int32_t rssi;
  /** tenths of a degree Celsius */
  int32_t temperature_dc;
} wgw_telemetry;

typedef struct wgw_checkin_info {
  wgw_telemetry telemetry;
  /** "timer", "boot" or "button" */
  const char *wake_reason;
  uint32_t listen_ms;
  uint32_t sleep_seconds;
} wgw_checkin_info;

/*
 * Each writes one message into buf (NUL-terminated; *len excludes the NUL) and uses one counter value. They return
 * WGW_ERR_SPACE when buf is too small (1 KB always suffices), WGW_ERR_STORAGE when reserving counters failed.
 */
wgw_err wgw_msg_hello(wgw_device *d, const wgw_hello_info *info, char *buf, size_t cap, size_t *len);
/** `now_ms` becomes the check-in's `time`, the echo a control message must carry */
wgw_err wgw_msg_checkin(wgw_device *d, const wgw_checkin_info *info, uint64_t now_ms, char *buf, size_t cap, size_t *len);
wgw_err wgw_msg_telemetry(wgw_device *d, const wgw_telemetry *t, char *buf, size_t cap, size_t *len);
/** for a WGW_ACK result */
wgw_err wgw_msg_ack(wgw_device *d, const wgw_result *r, char *buf, size_t cap, size_t *len);
/** for a WGW_NAK result */
wgw_err wgw_msg_nak(wgw_device *d, const wgw_result *r, char *buf, size_t cap, size_t *len);

/**
 * The tag of a device message: the first 16 bytes of HMAC-SHA256(key, "WGM1" ‖ leaf ‖ 0x00 ‖ payload with the 32
 * tag digits as '0'), as 32 lowercase hex digits plus NUL. `payload` must end with `"tag":"<32 digits>"}`.
 * Returns WGW_ERR_ARG when it does not.
 */
wgw_err wgw_message_tag(const uint8_t key[WGW_SECRET_BYTES], const char *leaf, const char *payload, size_t len, char hex[33]);

typedef enum wgw_tag_check {
  /** the payload ends with a tag member and the tag verifies */
  WGW_TAG_VALID = 0,
  /** it ends with a tag member, and the tag is wrong (a forgery, or changed on the way) */
  WGW_TAG_WRONG,
  /** it does not end with `"tag":"<32 lowercase hex>"}`: an untagged (v1.0) message */
  WGW_TAG_ABSENT
} wgw_tag_check;

/** The controller's step 1 (docs/protocol.md, "Authentication of device messages"), for gateways and tests. */
wgw_tag_check wgw_message_verify(const uint8_t key[WGW_SECRET_BYTES], const char *leaf, const char *payload, size_t len);

/* ---- control message (controller → display) --------------------------------------------------------------- */

typedef enum wgw_control_status {
  WGW_CONTROL_OK = 0,
  /** not 40 bytes, or not magic "WGC1" */
  WGW_CONTROL_MALFORMED,
  /** the tag does not verify */
  WGW_CONTROL_BAD_TAG,
  /** it does not answer the display's latest check-in (or that one was answered already) */
  WGW_CONTROL_NOT_AN_ANSWER,
  /** its round trip exceeds 30 s (or runs backwards) */
  WGW_CONTROL_LATE
} wgw_control_status;

typedef struct wgw_control {
  /** what the display's clock should read now: controller time + round trip / 2, unix ms */
  uint64_t clock_ms;
  /** check-in interval, seconds (0: always listening) */
  uint32_t check_in_seconds;
  uint64_t controller_ms;
  uint64_t echo_ms;
} wgw_control;

/** Verifies a control message against the latest check-in; on WGW_CONTROL_OK the caller sets clock and interval. */
wgw_control_status wgw_control_verify(wgw_device *d, const uint8_t *msg, size_t len, uint64_t now_ms, wgw_control *out);

/* ---- helpers -------------------------------------------------------------------------------------------------- */

/** The broker password: base64url without padding of HMAC-SHA256(secret, "wegweiser mqtt password v1"). */
void wgw_mqtt_password(const uint8_t secret[WGW_SECRET_BYTES], char out[WGW_MQTT_PASSWORD_CHARS]);

/** SHA-256 of a frame as the protocol names it: over width (2 B), height (2 B), plane count (1 B) and the planes. */
void wgw_frame_hash(uint16_t width, uint16_t height, uint8_t planes, const uint8_t *frame, size_t bytes, uint8_t out[WGW_HASH_BYTES]);

/** 1 when id matches [A-Za-z0-9][A-Za-z0-9._-]{0,31} */
int wgw_valid_id(const char *id);

/** Lowercase hex of n bytes into out (2n + 1 chars with the NUL). */
void wgw_hex(const uint8_t *bytes, size_t n, char *out);

/** Parses exactly 2n hex digits; 0 on success. */
int wgw_unhex(const char *hex, uint8_t *out, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* WEGWEISER_H */

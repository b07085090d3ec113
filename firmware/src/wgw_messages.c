/*
 * Device messages (display → controller) and the control message (controller → display), protocol v1.1.
 *
 * Every JSON message a display sends ends with its counter and tag: `…,"ctr":N,"tag":"<32 hex>"}`. The tag is the
 * first 16 bytes of HMAC-SHA256(frame key, "WGM1" ‖ topic leaf ‖ 0x00 ‖ the payload with the 32 tag digits as '0'):
 * written with zeros, hashed, overwritten in place — no second buffer. The counter strictly increases over every
 * message of the display; it is reserved in blocks of WGW_CTR_BLOCK (one flash write per block), so after a power loss
 * the display continues above anything it may have sent.
 */
#include "wgw_internal.h"

#include <string.h>

static const char TAG_MEMBER[] = ",\"ctr\":";
static const char TAG_OPEN[] = "\"tag\":\"";
#define TAG_HEX (2 * WGW_TAG_BYTES)

/* ---- a bounded JSON writer --------------------------------------------------------------------------------- */

typedef struct json {
  char *buf;
  size_t cap;
  size_t len;
  int overflow;
} json;

static void put(json *j, const char *s, size_t n) {
  if (j->overflow || n >= j->cap - j->len) {
    j->overflow = 1;
    return;
  }
  memcpy(j->buf + j->len, s, n);
  j->len += n;
  j->buf[j->len] = '\0';
}

static void put_str(json *j, const char *s) {
  put(j, s, strlen(s));
}

static void put_u64(json *j, uint64_t v) {
  char tmp[21];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + (int)(v % 10u));
    v /= 10u;
  } while (v != 0);
  put(j, tmp + i, sizeof tmp - i);
}

static void put_i64(json *j, int64_t v) {
  if (v < 0) {
    put(j, "-", 1);
    put_u64(j, (uint64_t)(-(v + 1)) + 1u);
  } else {
    put_u64(j, (uint64_t)v);
  }
}

/* tenths as JSON.stringify writes the number: -215 → -21.5, 210 → 21, -5 → -0.5 */
static void put_tenths(json *j, int32_t tenths) {
  int64_t v = tenths;
  uint64_t a = (uint64_t)(v < 0 ? -v : v);
  char frac[2];
  if (v < 0) put(j, "-", 1);
  put_u64(j, a / 10u);
  if (a % 10u == 0) return;
  frac[0] = '.';
  frac[1] = (char)('0' + (int)(a % 10u));
  put(j, frac, 2);
}

/* A JSON string of printable ASCII: quotes and backslashes escaped, anything else refused by the caller's check. */
static void put_string(json *j, const char *s) {
  put(j, "\"", 1);
  for (; *s != '\0'; s++) {
    if (*s == '"' || *s == '\\') put(j, "\\", 1);
    put(j, s, 1);
  }
  put(j, "\"", 1);
}

static int printable(const char *s, size_t max) {
  size_t i;
  if (s == NULL) return 0;
  for (i = 0; s[i] != '\0'; i++)
    if (i >= max || s[i] < 0x20 || s[i] > 0x7e) return 0;
  return 1;
}

static void member(json *j, const char *name) {
  put(j, j->len > 1 ? ",\"" : "\"", j->len > 1 ? 2 : 1);
  put_str(j, name);
  put(j, "\":", 2);
}

static void put_hash_or_null(json *j, const uint8_t *hash) {
  char hex[WGW_HASH_HEX + 1];
  if (hash == NULL) {
    put(j, "null", 4);
    return;
  }
  wgw_hex(hash, WGW_HASH_BYTES, hex);
  put(j, "\"", 1);
  put(j, hex, WGW_HASH_HEX);
  put(j, "\"", 1);
}

static void put_seq_or_null(json *j, int has, uint32_t seq) {
  if (has) put_u64(j, seq);
  else put(j, "null", 4);
}

/* ---- counter and tag ------------------------------------------------------------------------------------------ */

static wgw_err next_ctr(wgw_device *d, uint32_t *ctr) {
  if (d->ctr_exhausted) return WGW_ERR_CTR_EXHAUSTED;
  if (d->ctr_next > d->ctr_reserved || d->ctr_reserved == 0) {
    uint32_t want = d->ctr_reserved > UINT32_MAX - WGW_CTR_BLOCK ? UINT32_MAX : d->ctr_reserved + WGW_CTR_BLOCK;
    if (d->cfg.hooks.store_ctr(d->cfg.hooks.user, want) != 0) return WGW_ERR_STORAGE;
    d->ctr_reserved = want;
  }
  *ctr = d->ctr_next;
  if (d->ctr_next == UINT32_MAX) d->ctr_exhausted = 1;
  else d->ctr_next++;
  return WGW_OK;
}

static void message_mac(const uint8_t key[WGW_SECRET_BYTES], const char *leaf, const char *payload, size_t digits_at, size_t len, uint8_t out[WGW_HASH_BYTES]) {
  static const char zeros[TAG_HEX + 1] = "00000000000000000000000000000000";
  wgw_hmac m;
  wgw_hmac_start(&m, key, WGW_SECRET_BYTES);
  wgw_hmac_update(&m, (const uint8_t *)"WGM1", 4);
  wgw_hmac_update(&m, (const uint8_t *)leaf, strlen(leaf) + 1); /* the leaf and its 0x00 */
  wgw_hmac_update(&m, (const uint8_t *)payload, digits_at);
  wgw_hmac_update(&m, (const uint8_t *)zeros, TAG_HEX);
  wgw_hmac_update(&m, (const uint8_t *)payload + digits_at + TAG_HEX, len - digits_at - TAG_HEX);
  wgw_hmac_finish(&m, out);
  wgw_hmac_free(&m);
}

wgw_err wgw_message_tag(const uint8_t key[WGW_SECRET_BYTES], const char *leaf, const char *payload, size_t len, char hex[33]) {
  uint8_t mac[WGW_HASH_BYTES];
  size_t open = sizeof TAG_OPEN - 1;
  size_t digits_at;
  if (key == NULL || leaf == NULL || payload == NULL || len < open + TAG_HEX + 2) return WGW_ERR_ARG;
  digits_at = len - 2 - TAG_HEX;
  if (memcmp(payload + digits_at - open, TAG_OPEN, open) != 0 || payload[len - 2] != '"' || payload[len - 1] != '}') return WGW_ERR_ARG;
  message_mac(key, leaf, payload, digits_at, len, mac);
  wgw_hex(mac, WGW_TAG_BYTES, hex);
  return WGW_OK;
}

wgw_tag_check wgw_message_verify(const uint8_t key[WGW_SECRET_BYTES], const char *leaf, const char *payload, size_t len) {
  char hex[TAG_HEX + 1];
  size_t open = sizeof TAG_OPEN - 1;
  size_t i;
  if (payload == NULL || len < open + TAG_HEX + 2) return WGW_TAG_ABSENT;
  for (i = len - 2 - TAG_HEX; i < len - 2; i++) {
    char c = payload[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return WGW_TAG_ABSENT;
  }
  if (wgw_message_tag(key, leaf, payload, len, hex) != WGW_OK) return WGW_TAG_ABSENT;
  return wgw_equal_ct((const uint8_t *)hex, (const uint8_t *)payload + len - 2 - TAG_HEX, TAG_HEX) ? WGW_TAG_VALID : WGW_TAG_WRONG;
}

/* Ends the message with its counter and tag, and signs it. */
static wgw_err seal(wgw_device *d, json *j, const char *leaf, size_t *len) {
  uint32_t ctr;
  uint8_t mac[WGW_HASH_BYTES];
  char hex[TAG_HEX + 1];
  size_t digits_at;
  wgw_err e = next_ctr(d, &ctr);
  if (e != WGW_OK) return e;
  put_str(j, TAG_MEMBER);
  put_u64(j, ctr);
  put(j, ",", 1);
  put_str(j, TAG_OPEN);
  digits_at = j->len;
  put_str(j, "00000000000000000000000000000000\"}");
  if (j->overflow) return WGW_ERR_SPACE;
  message_mac(d->cfg.secret, leaf, j->buf, digits_at, j->len, mac);
  wgw_hex(mac, WGW_TAG_BYTES, hex);
  memcpy(j->buf + digits_at, hex, TAG_HEX);
  *len = j->len;
  return WGW_OK;
}

static int open_json(json *j, char *buf, size_t cap) {
  j->buf = buf;
  j->cap = cap;
  j->len = 0;
  j->overflow = 0;
  if (buf == NULL || cap == 0) return 0;
  buf[0] = '\0';
  put(j, "{", 1);
  return 1;
}

/* ---- the messages -------------------------------------------------------------------------------------------- */

static void telemetry_members(json *j, const wgw_telemetry *t) {
  member(j, "batteryMv");
  put_u64(j, t->battery_mv);
  member(j, "rssi");
  put_i64(j, t->rssi);
  member(j, "temperatureC");
  put_tenths(j, t->temperature_dc);
}

static void state_members(json *j, const wgw_device *d) {
  member(j, "shownHash");
  put_hash_or_null(j, wgw_shown_hash(d));
  member(j, "scheduledHash");
  put_hash_or_null(j, wgw_held_hash(d));
  member(j, "lastSeq");
  put_seq_or_null(j, d->has_seq, d->last_seq);
}

wgw_err wgw_msg_hello(wgw_device *d, const wgw_hello_info *info, char *buf, size_t cap, size_t *len) {
  json j;
  if (d == NULL || info == NULL || len == NULL || !printable(info->firmware, 64) || !printable(info->panel, 64)) return WGW_ERR_ARG;
  if (!open_json(&j, buf, cap)) return WGW_ERR_SPACE;
  member(&j, "id");
  put_string(&j, d->id);
  member(&j, "protocol");
  put_u64(&j, WGW_PROTOCOL);
  member(&j, "minor");
  put_u64(&j, WGW_PROTOCOL_MINOR);
  member(&j, "firmware");
  put_string(&j, info->firmware);
  member(&j, "panel");
  put_string(&j, info->panel);
  member(&j, "width");
  put_u64(&j, d->cfg.width);
  member(&j, "height");
  put_u64(&j, d->cfg.height);
  member(&j, "maxChunk");
  put_u64(&j, d->cfg.max_chunk);
  state_members(&j, d);
  member(&j, "batteryMv");
  put_u64(&j, info->battery_mv);
  return seal(d, &j, "hello", len);
}

wgw_err wgw_msg_checkin(wgw_device *d, const wgw_checkin_info *info, uint64_t now_ms, char *buf, size_t cap, size_t *len) {
  json j;
  wgw_err e;
  if (d == NULL || info == NULL || len == NULL || !printable(info->wake_reason, 16)) return WGW_ERR_ARG;
  if (!open_json(&j, buf, cap)) return WGW_ERR_SPACE;
  state_members(&j, d);
  telemetry_members(&j, &info->telemetry);
  member(&j, "wakeReason");
  put_string(&j, info->wake_reason);
  member(&j, "listenMs");
  put_u64(&j, info->listen_ms);
  member(&j, "sleepSeconds");
  put_u64(&j, info->sleep_seconds);
  member(&j, "time");
  put_u64(&j, now_ms);
  e = seal(d, &j, "checkin", len);
  if (e == WGW_OK) {
    /* only an answer to this check-in may set the clock from now on */
    d->has_checkin = 1;
    d->checkin_time = now_ms;
  }
  return e;
}

wgw_err wgw_msg_telemetry(wgw_device *d, const wgw_telemetry *t, char *buf, size_t cap, size_t *len) {
  json j;
  if (d == NULL || t == NULL || len == NULL) return WGW_ERR_ARG;
  if (!open_json(&j, buf, cap)) return WGW_ERR_SPACE;
  telemetry_members(&j, t);
  return seal(d, &j, "telemetry", len);
}

wgw_err wgw_msg_ack(wgw_device *d, const wgw_result *r, char *buf, size_t cap, size_t *len) {
  json j;
  if (d == NULL || r == NULL || len == NULL || r->status != WGW_ACK) return WGW_ERR_ARG;
  if (!open_json(&j, buf, cap)) return WGW_ERR_SPACE;
  member(&j, "seq");
  put_u64(&j, r->seq);
  member(&j, "hash");
  put_hash_or_null(&j, r->hash);
  member(&j, "activateAt");
  put_u64(&j, r->activate_at);
  return seal(d, &j, "ack", len);
}

wgw_err wgw_msg_nak(wgw_device *d, const wgw_result *r, char *buf, size_t cap, size_t *len) {
  json j;
  if (d == NULL || r == NULL || len == NULL || r->status != WGW_NAK || r->reason == WGW_NAK_NONE) return WGW_ERR_ARG;
  if (!open_json(&j, buf, cap)) return WGW_ERR_SPACE;
  member(&j, "seq");
  put_seq_or_null(&j, r->has_seq, r->seq);
  member(&j, "reason");
  put_string(&j, wgw_nak_reason_name(r->reason));
  member(&j, "detail");
  put_string(&j, printable(r->detail, 200) ? r->detail : "");
  member(&j, "lastSeq");
  put_seq_or_null(&j, d->has_seq, d->last_seq);
  return seal(d, &j, "nak", len);
}

/* ---- control message ----------------------------------------------------------------------------------------- */

wgw_control_status wgw_control_verify(wgw_device *d, const uint8_t *msg, size_t len, uint64_t now_ms, wgw_control *out) {
  static const uint8_t magic[4] = {'W', 'G', 'C', '1'};
  uint8_t mac[WGW_HASH_BYTES];
  wgw_hmac m;
  uint64_t echo;
  uint64_t rtt;
  if (d == NULL || msg == NULL || out == NULL || len != WGW_CONTROL_BYTES || memcmp(msg, magic, 4) != 0) return WGW_CONTROL_MALFORMED;
  wgw_hmac_start(&m, d->cfg.secret, WGW_SECRET_BYTES);
  wgw_hmac_update(&m, msg, 24);
  wgw_hmac_finish(&m, mac);
  wgw_hmac_free(&m);
  if (!wgw_equal_ct(mac, msg + 24, WGW_TAG_BYTES)) return WGW_CONTROL_BAD_TAG;
  echo = wgw_be64(msg + 16);
  if (!d->has_checkin || echo != d->checkin_time) return WGW_CONTROL_NOT_AN_ANSWER;
  if (now_ms < echo || now_ms - echo > WGW_CONTROL_MAX_RTT_MS) return WGW_CONTROL_LATE;
  rtt = now_ms - echo;
  d->has_checkin = 0; /* one answer per check-in */
  out->controller_ms = wgw_be64(msg + 4);
  out->check_in_seconds = wgw_be32(msg + 12);
  out->echo_ms = echo;
  out->clock_ms = out->controller_ms + rtt / 2u;
  return WGW_CONTROL_OK;
}

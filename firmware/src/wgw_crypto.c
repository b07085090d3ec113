/*
 * Hashes and encodings of the Wegweiser device library. SHA-256 is mbedTLS's; HMAC is the RFC 2104 construction over
 * two SHA-256 states, because mbedTLS's HMAC (md layer) allocates its context on the heap, which this library has
 * none of. The unit tests check it against RFC 4231 and against mbedtls_md_hmac.
 */
#include "wgw_internal.h"

#include <string.h>

#define HMAC_BLOCK 64u

void wgw_hmac_start(wgw_hmac *m, const uint8_t *key, size_t key_len) {
  uint8_t pad[HMAC_BLOCK];
  size_t i;
  mbedtls_sha256_init(&m->inner);
  mbedtls_sha256_init(&m->outer);
  memset(pad, 0x36, sizeof pad);
  for (i = 0; i < key_len && i < HMAC_BLOCK; i++) pad[i] ^= key[i];
  (void)wgw_sha256_starts(&m->inner);
  (void)wgw_sha256_update(&m->inner, pad, sizeof pad);
  memset(pad, 0x5c, sizeof pad);
  for (i = 0; i < key_len && i < HMAC_BLOCK; i++) pad[i] ^= key[i];
  (void)wgw_sha256_starts(&m->outer);
  (void)wgw_sha256_update(&m->outer, pad, sizeof pad);
  memset(pad, 0, sizeof pad);
}

void wgw_hmac_update(wgw_hmac *m, const uint8_t *data, size_t n) {
  (void)wgw_sha256_update(&m->inner, data, n);
}

void wgw_hmac_finish(wgw_hmac *m, uint8_t out[WGW_HASH_BYTES]) {
  uint8_t inner[WGW_HASH_BYTES];
  (void)wgw_sha256_finish(&m->inner, inner);
  (void)wgw_sha256_update(&m->outer, inner, sizeof inner);
  (void)wgw_sha256_finish(&m->outer, out);
  memset(inner, 0, sizeof inner);
}

void wgw_hmac_free(wgw_hmac *m) {
  mbedtls_sha256_free(&m->inner);
  mbedtls_sha256_free(&m->outer);
}

int wgw_equal_ct(const uint8_t *a, const uint8_t *b, size_t n) {
  volatile uint8_t diff = 0;
  size_t i;
  for (i = 0; i < n; i++) diff = (uint8_t)(diff | (a[i] ^ b[i]));
  return diff == 0;
}

void wgw_frame_hash(uint16_t width, uint16_t height, uint8_t planes, const uint8_t *frame, size_t bytes, uint8_t out[WGW_HASH_BYTES]) {
  mbedtls_sha256_context c;
  uint8_t head[5];
  head[0] = (uint8_t)(width >> 8);
  head[1] = (uint8_t)width;
  head[2] = (uint8_t)(height >> 8);
  head[3] = (uint8_t)height;
  head[4] = planes;
  mbedtls_sha256_init(&c);
  (void)wgw_sha256_starts(&c);
  (void)wgw_sha256_update(&c, head, sizeof head);
  (void)wgw_sha256_update(&c, frame, bytes);
  (void)wgw_sha256_finish(&c, out);
  mbedtls_sha256_free(&c);
}

void wgw_mqtt_password(const uint8_t secret[WGW_SECRET_BYTES], char out[WGW_MQTT_PASSWORD_CHARS]) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  static const char label[] = "wegweiser mqtt password v1";
  uint8_t mac[WGW_HASH_BYTES];
  wgw_hmac m;
  size_t i;
  size_t o = 0;
  wgw_hmac_start(&m, secret, WGW_SECRET_BYTES);
  wgw_hmac_update(&m, (const uint8_t *)label, sizeof label - 1);
  wgw_hmac_finish(&m, mac);
  wgw_hmac_free(&m);
  /* 32 bytes = 10 groups of 3 and 2 left over: 40 + 3 characters, no padding */
  for (i = 0; i + 3 <= sizeof mac; i += 3) {
    uint32_t v = ((uint32_t)mac[i] << 16) | ((uint32_t)mac[i + 1] << 8) | (uint32_t)mac[i + 2];
    out[o++] = alphabet[(v >> 18) & 63u];
    out[o++] = alphabet[(v >> 12) & 63u];
    out[o++] = alphabet[(v >> 6) & 63u];
    out[o++] = alphabet[v & 63u];
  }
  {
    uint32_t v = ((uint32_t)mac[30] << 16) | ((uint32_t)mac[31] << 8);
    out[o++] = alphabet[(v >> 18) & 63u];
    out[o++] = alphabet[(v >> 12) & 63u];
    out[o++] = alphabet[(v >> 6) & 63u];
  }
  out[o] = '\0';
  memset(mac, 0, sizeof mac);
}

void wgw_hex(const uint8_t *bytes, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15u];
  }
  out[2 * n] = '\0';
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int wgw_unhex(const char *hex, uint8_t *out, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    int hi = hex_value(hex[2 * i]);
    int lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (uint8_t)((hi << 4) | lo);
  }
  return hex[2 * n] == '\0' ? 0 : -1;
}

int wgw_valid_id(const char *id) {
  size_t i;
  if (id == NULL) return 0;
  for (i = 0; id[i] != '\0'; i++) {
    char c = id[i];
    int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (i >= WGW_ID_MAX) return 0;
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return 0;
  }
  return i > 0;
}

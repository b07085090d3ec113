/* Internal helpers of the Wegweiser device library: byte order, SHA-256 across mbedTLS 2 and 3, HMAC. */
#ifndef WGW_INTERNAL_H
#define WGW_INTERNAL_H

#include "wegweiser.h"
#include <mbedtls/version.h>

/* mbedTLS 3 (ESP-IDF 5) dropped the _ret suffix that 2.28 (Debian 12) still needs to report errors. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define wgw_sha256_starts(c) mbedtls_sha256_starts((c), 0)
#define wgw_sha256_update(c, p, n) mbedtls_sha256_update((c), (p), (n))
#define wgw_sha256_finish(c, out) mbedtls_sha256_finish((c), (out))
#else
#define wgw_sha256_starts(c) mbedtls_sha256_starts_ret((c), 0)
#define wgw_sha256_update(c, p, n) mbedtls_sha256_update_ret((c), (p), (n))
#define wgw_sha256_finish(c, out) mbedtls_sha256_finish_ret((c), (out))
#endif

static inline uint16_t wgw_be16(const uint8_t *p) {
  return (uint16_t)(((uint16_t)p[0] << 8) | (uint16_t)p[1]);
}

static inline uint32_t wgw_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t wgw_be64(const uint8_t *p) {
  return ((uint64_t)wgw_be32(p) << 32) | (uint64_t)wgw_be32(p + 4);
}

/* HMAC-SHA256 (RFC 2104) over mbedTLS's SHA-256; keys of at most 64 bytes (ours are 32). */
void wgw_hmac_start(wgw_hmac *m, const uint8_t *key, size_t key_len);
void wgw_hmac_update(wgw_hmac *m, const uint8_t *data, size_t n);
void wgw_hmac_finish(wgw_hmac *m, uint8_t out[WGW_HASH_BYTES]);
void wgw_hmac_free(wgw_hmac *m);

/* 1 when the n bytes are equal; the time taken does not depend on where they differ. */
int wgw_equal_ct(const uint8_t *a, const uint8_t *b, size_t n);

#endif

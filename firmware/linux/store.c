/*
 * The Linux display's "flash": a directory with one file per persisted value, each replaced atomically (write to a
 * temporary file, fsync, rename, fsync the directory), so a crash at any moment leaves either the old or the new value.
 *
 *   seq          last accepted sequence number (decimal)
 *   ctr          device-message counter reservation (decimal)
 *   shown.frame  "WGF1", SHA-256 of the frame, the frame bytes: what the panel shows
 *   held.frame   "WGH1", seq, activate-at (BE32 each), SHA-256, the frame bytes: the frame held for later
 *   clock        clock offset (ms) and check-in interval (s), set by control messages
 */
#include "display.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int path_of(const file_store *s, const char *name, char *out, size_t cap) {
  int n = snprintf(out, cap, "%s/%s", s->dir, name);
  return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int fsync_dir(const char *file) {
  char dir[600];
  char *slash;
  int fd, rc;
  snprintf(dir, sizeof dir, "%s", file);
  slash = strrchr(dir, '/');
  if (slash == NULL) snprintf(dir, sizeof dir, ".");
  else if (slash == dir) dir[1] = '\0';
  else *slash = '\0';
  fd = open(dir, O_RDONLY);
  if (fd < 0) return -1;
  rc = fsync(fd);
  close(fd);
  return rc;
}

int write_file_atomic(const char *path, const void *data, size_t n) {
  char tmp[640];
  int fd;
  const uint8_t *p = data;
  size_t done = 0;
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return -1;
  while (done < n) {
    ssize_t w = write(fd, p + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      close(fd);
      unlink(tmp);
      return -1;
    }
    done += (size_t)w;
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp);
    return -1;
  }
  if (rename(tmp, path) != 0) {
    unlink(tmp);
    return -1;
  }
  return fsync_dir(path);
}

/* whole file into buf (at most cap bytes); returns its length, -1 if missing, -2 on error */
static long read_file(const char *path, uint8_t *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  size_t n;
  if (f == NULL) return errno == ENOENT ? -1 : -2;
  n = fread(buf, 1, cap, f);
  if (ferror(f)) {
    fclose(f);
    return -2;
  }
  fclose(f);
  return (long)n;
}

static int load_number(const file_store *s, const char *name, uint32_t *v, int *found) {
  char path[600];
  uint8_t buf[32];
  long n;
  char *end;
  unsigned long value;
  *found = 0;
  if (path_of(s, name, path, sizeof path)) return -1;
  n = read_file(path, buf, sizeof buf - 1);
  if (n == -1) return 0;
  if (n < 0) return -1;
  buf[n] = '\0';
  errno = 0;
  value = strtoul((const char *)buf, &end, 10);
  /* an unreadable number is a damaged flash: refuse to start rather than guess a lower one */
  if (errno != 0 || end == (char *)buf || value > 0xffffffffUL) return -1;
  *v = (uint32_t)value;
  *found = 1;
  return 0;
}

static int store_number(const file_store *s, const char *name, uint32_t v) {
  char path[600];
  char text[16];
  int n = snprintf(text, sizeof text, "%lu\n", (unsigned long)v);
  if (path_of(s, name, path, sizeof path)) return -1;
  return write_file_atomic(path, text, (size_t)n);
}

static int h_load_seq(void *u, uint32_t *seq, int *found) {
  return load_number(u, "seq", seq, found);
}

static int h_store_seq(void *u, uint32_t seq) {
  return store_number(u, "seq", seq);
}

static int h_load_ctr(void *u, uint32_t *v, int *found) {
  return load_number(u, "ctr", v, found);
}

static int h_store_ctr(void *u, uint32_t v) {
  return store_number(u, "ctr", v);
}

static int load_frame_file(const file_store *s, const char *name, const char magic[4], size_t extra, uint8_t *head, uint8_t *img, size_t bytes, int *found) {
  char path[600];
  size_t total = 4 + extra + bytes;
  uint8_t *buf = malloc(total + 1);
  long n;
  *found = 0;
  if (buf == NULL || path_of(s, name, path, sizeof path)) {
    free(buf);
    return -1;
  }
  n = read_file(path, buf, total + 1);
  if (n == -1) {
    free(buf);
    return 0;
  }
  /* a file of another size or kind (another panel, damaged) is not this panel's frame: nothing is shown */
  if (n == (long)total && memcmp(buf, magic, 4) == 0) {
    memcpy(head, buf + 4, extra);
    memcpy(img, buf + 4 + extra, bytes);
    *found = 1;
  }
  free(buf);
  return n == -2 ? -1 : 0;
}

static int h_load_shown(void *u, uint8_t *img, size_t bytes, uint8_t hash[WGW_HASH_BYTES], int *found) {
  return load_frame_file(u, "shown.frame", "WGF1", WGW_HASH_BYTES, hash, img, bytes, found);
}

int store_write_panel(const file_store *s, const uint8_t *frame) {
  char tmp[640];
  FILE *f;
  int rc = 0;
  if (s->png[0]) {
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", s->png, (long)getpid());
    f = fopen(tmp, "wb");
    if (f == NULL) return -1;
    rc = png_write(f, s->width, s->height, s->planes, frame);
    if (fclose(f) != 0) rc = -1;
    if (rc == 0) rc = rename(tmp, s->png);
    else unlink(tmp);
  }
  if (rc == 0 && s->pbm[0]) {
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", s->pbm, (long)getpid());
    f = fopen(tmp, "wb");
    if (f == NULL) return -1;
    rc = pbm_write(f, s->width, s->height, frame);
    if (fclose(f) != 0) rc = -1;
    if (rc == 0) rc = rename(tmp, s->pbm);
    else unlink(tmp);
  }
  return rc;
}

static int h_show(void *u, const uint8_t *img, size_t bytes, const uint8_t hash[WGW_HASH_BYTES], int full_refresh) {
  file_store *s = u;
  char path[600];
  uint8_t *buf = malloc(4 + WGW_HASH_BYTES + bytes);
  int rc;
  if (buf == NULL || path_of(s, "shown.frame", path, sizeof path)) {
    free(buf);
    return -1;
  }
  memcpy(buf, "WGF1", 4);
  memcpy(buf + 4, hash, WGW_HASH_BYTES);
  memcpy(buf + 4 + WGW_HASH_BYTES, img, bytes);
  /* the panel's own memory: the frame and its hash together, in one file */
  rc = write_file_atomic(path, buf, 4 + WGW_HASH_BYTES + bytes);
  free(buf);
  if (rc == 0) rc = store_write_panel(s, img);
  if (rc == 0 && s->on_show) s->on_show(s->ctx, hash, full_refresh);
  return rc;
}

static int h_load_held(void *u, uint8_t *img, size_t bytes, wgw_held_info *info, int *found) {
  uint8_t head[8 + WGW_HASH_BYTES];
  int rc = load_frame_file(u, "held.frame", "WGH1", sizeof head, head, img, bytes, found);
  if (rc == 0 && *found) {
    info->seq = ((uint32_t)head[0] << 24) | ((uint32_t)head[1] << 16) | ((uint32_t)head[2] << 8) | head[3];
    info->activate_at = ((uint32_t)head[4] << 24) | ((uint32_t)head[5] << 16) | ((uint32_t)head[6] << 8) | head[7];
    memcpy(info->hash, head + 8, WGW_HASH_BYTES);
  }
  return rc;
}

static int h_store_held(void *u, const uint8_t *img, size_t bytes, const wgw_held_info *info) {
  file_store *s = u;
  char path[600];
  uint8_t *buf;
  int rc;
  if (path_of(s, "held.frame", path, sizeof path)) return -1;
  if (img == NULL) {
    if (unlink(path) != 0 && errno != ENOENT) return -1;
    return fsync_dir(path);
  }
  buf = malloc(4 + 8 + WGW_HASH_BYTES + bytes);
  if (buf == NULL) return -1;
  memcpy(buf, "WGH1", 4);
  buf[4] = (uint8_t)(info->seq >> 24);
  buf[5] = (uint8_t)(info->seq >> 16);
  buf[6] = (uint8_t)(info->seq >> 8);
  buf[7] = (uint8_t)info->seq;
  buf[8] = (uint8_t)(info->activate_at >> 24);
  buf[9] = (uint8_t)(info->activate_at >> 16);
  buf[10] = (uint8_t)(info->activate_at >> 8);
  buf[11] = (uint8_t)info->activate_at;
  memcpy(buf + 12, info->hash, WGW_HASH_BYTES);
  memcpy(buf + 12 + WGW_HASH_BYTES, img, bytes);
  rc = write_file_atomic(path, buf, 12 + WGW_HASH_BYTES + bytes);
  free(buf);
  return rc;
}

int store_save_clock(file_store *s) {
  char path[600];
  char text[64];
  int n = snprintf(text, sizeof text, "%lld %ld\n", s->clock_offset_ms, s->check_in_seconds);
  if (path_of(s, "clock", path, sizeof path)) return -1;
  return write_file_atomic(path, text, (size_t)n);
}

int store_open(file_store *s) {
  char path[600];
  uint8_t buf[64];
  long n;
  if (mkdir(s->dir, 0700) != 0 && errno != EEXIST) return -1;
  s->clock_offset_ms = 0;
  s->check_in_seconds = -1;
  if (path_of(s, "clock", path, sizeof path)) return -1;
  n = read_file(path, buf, sizeof buf - 1);
  if (n >= 0) {
    buf[n] = '\0';
    if (sscanf((const char *)buf, "%lld %ld", &s->clock_offset_ms, &s->check_in_seconds) != 2) {
      s->clock_offset_ms = 0;
      s->check_in_seconds = -1;
    }
  }
  return n == -2 ? -1 : 0;
}

void store_hooks(file_store *s, wgw_hooks *hooks) {
  hooks->user = s;
  hooks->load_seq = h_load_seq;
  hooks->store_seq = h_store_seq;
  hooks->load_ctr = h_load_ctr;
  hooks->store_ctr = h_store_ctr;
  hooks->load_shown = h_load_shown;
  hooks->show = h_show;
  hooks->load_held = h_load_held;
  hooks->store_held = h_store_held;
}

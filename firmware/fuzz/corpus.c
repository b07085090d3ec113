/*
 * Seeds for the fuzz target from docs/vectors: every transfer of transfers.json and naks.json as a mode-0 input (the
 * display's state and the chunks as they arrive), and every case the encoder made also as a mode-1 input (its header
 * and payload, which the harness signs). Usage: wgw-seed VECTOR_DIR OUT_DIR; prints the number of seeds written.
 */
#include "fuzz_input.h"
#include "json.h"
#include "wegweiser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
  uint8_t *p;
  size_t n, cap;
} out;

static void put(out *o, const void *p, size_t n) {
  if (o->n + n > o->cap) {
    o->cap = (o->n + n) * 2 + 64;
    o->p = realloc(o->p, o->cap);
  }
  memcpy(o->p + o->n, p, n);
  o->n += n;
}

static void put8(out *o, unsigned v) {
  uint8_t b = (uint8_t)v;
  put(o, &b, 1);
}

static void put16(out *o, unsigned v) {
  put8(o, v >> 8);
  put8(o, v);
}

static void put32(out *o, unsigned long v) {
  put16(o, (unsigned)(v >> 16) & 0xffffu);
  put16(o, (unsigned)v & 0xffffu);
}

static double num(const jval *obj, const char *key) {
  int ok = 0;
  double v = json_num(obj, key, &ok);
  return ok ? v : 0;
}

static void put_hex(out *o, const char *hex) {
  size_t n = hex ? strlen(hex) / 2 : 0;
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned v = 0;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return;
    put8(o, v);
  }
}

static void put_planes(out *o, const jval *frame) {
  const jval *planes = json_get(frame, "planes");
  size_t i;
  for (i = 0; planes && i < planes->count; i++) put_hex(o, planes->items[i].str);
}

/* everything up to and including `now` */
static void put_display(out *o, unsigned mode, const jval *c) {
  const jval *disp = json_get(c, "display");
  const jval *before = json_get(c, "before");
  const jval *shown = json_get(before, "shown");
  const jval *held = json_get(before, "held");
  const char *id = json_str(disp, "id");
  int has_shown = shown && shown->type == J_OBJ;
  int has_held = held && held->type == J_OBJ;
  put8(o, mode);
  put16(o, (unsigned)num(disp, "width"));
  put16(o, (unsigned)num(disp, "height"));
  put8(o, (unsigned)num(disp, "planes") - 1u);
  put8(o, 2); /* 3 frame buffers (the fuzzer varies it) */
  put16(o, (unsigned)num(disp, "maxChunk"));
  put8(o, (unsigned)strlen(id ? id : ""));
  put(o, id ? id : "", strlen(id ? id : ""));
  put32(o, (unsigned long)num(before, "lastSeq"));
  put8(o, (unsigned)(has_shown ? 1 : 0) | (unsigned)(has_held ? 2 : 0));
  put32(o, has_held ? (unsigned long)num(held, "activateAt") : 0ul);
  if (has_shown) put_planes(o, shown);
  if (has_held) put_planes(o, held);
  put32(o, (unsigned long)num(before, "now"));
}

static int write_seed(const char *dir, int n, const out *o) {
  char path[1024];
  FILE *f;
  snprintf(path, sizeof path, "%s/seed-%03d", dir, n);
  f = fopen(path, "wb");
  if (!f) return 0;
  fwrite(o->p, 1, o->n, f);
  fclose(f);
  return 1;
}

static int seeds_of(const char *vectors, const char *file, const char *dir, int n) {
  char path[1024];
  size_t len = 0;
  char *text;
  jval *doc;
  const jval *cases;
  size_t i, k;
  snprintf(path, sizeof path, "%s/%s", vectors, file);
  text = read_whole_file(path, &len);
  doc = text ? json_parse(text, len) : NULL;
  cases = json_get(doc, "cases");
  for (i = 0; cases && i < cases->count; i++) {
    const jval *c = &cases->items[i];
    const jval *chunks = json_get(c, "chunks");
    const jval *times = json_get(c, "chunkTimesMs");
    const jval *enc = json_get(c, "encoded");
    const jval *encoder = json_get(c, "encoder");
    out o = {NULL, 0, 0};
    double t = num(json_get(c, "before"), "now") * 1000.0;
    put_display(&o, 0, c);
    for (k = 0; chunks && k < chunks->count; k++) {
      const char *hex = chunks->items[k].str;
      double at = times && k < times->count ? times->items[k].num : t;
      double dt = (at - t) / 1000.0;
      put16(&o, (unsigned)(hex ? strlen(hex) / 2 : 0));
      put8(&o, dt > 255 ? 255u : dt < 0 ? 0u : (unsigned)dt);
      t = at;
      put_hex(&o, hex);
    }
    n += write_seed(dir, n, &o);
    o.n = 0;
    if (enc && json_str(enc, "header") && json_str(enc, "payload")) {
      put_display(&o, 1, c);
      put16(&o, (unsigned)num(encoder, "mtu"));
      put_hex(&o, json_str(enc, "header"));
      put_hex(&o, json_str(enc, "payload"));
      n += write_seed(dir, n, &o);
    }
    free(o.p);
  }
  json_free(doc);
  free(text);
  return n;
}

int main(int argc, char **argv) {
  int n = 0;
  if (argc != 3) {
    fprintf(stderr, "usage: wgw-seed VECTOR_DIR OUT_DIR\n");
    return 2;
  }
  n = seeds_of(argv[1], "transfers.json", argv[2], n);
  n = seeds_of(argv[1], "naks.json", argv[2], n);
  printf("seeds: %d\n", n);
  return n > 0 ? 0 : 1;
}

/* The Linux display (firmware/linux): its file store behind the library's hooks, and its panel as an image file. */
#ifndef WGW_LINUX_DISPLAY_H
#define WGW_LINUX_DISPLAY_H

#include "wegweiser.h"

#include <stdio.h>

/* The display's "flash": one directory, every file replaced atomically (write, fsync, rename, fsync the directory). */
typedef struct file_store {
  char dir[512];
  uint16_t width;
  uint16_t height;
  uint8_t planes;
  /* the panel as an image, rewritten whenever it changes (either may be empty) */
  char png[512];
  char pbm[512];
  /* the display's clock correction, ms (set by control messages), and its check-in interval (-1: none set) */
  long long clock_offset_ms;
  long check_in_seconds;
  /* after every show: the hash shown, for the event log */
  void (*on_show)(void *ctx, const uint8_t hash[WGW_HASH_BYTES], int full_refresh);
  void *ctx;
} file_store;

/* 0 on success; creates the directory (0700) if needed, reads clock and interval */
int store_open(file_store *s);
void store_hooks(file_store *s, wgw_hooks *hooks);
/* persists the clock offset and interval */
int store_save_clock(file_store *s);
/* writes the frame as the panel image(s) */
int store_write_panel(const file_store *s, const uint8_t *frame);

/* PNG of a frame: palette white / black / red (200, 0, 0), as renderer/frame.ts draws it; 0 on success */
int png_write(FILE *f, uint16_t width, uint16_t height, uint8_t planes, const uint8_t *frame);
/* PBM (P4) of the black plane */
int pbm_write(FILE *f, uint16_t width, uint16_t height, const uint8_t *frame);

/* atomic replace of path by data */
int write_file_atomic(const char *path, const void *data, size_t n);

#endif

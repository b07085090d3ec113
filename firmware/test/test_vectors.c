/*
 * The shared protocol vectors (the files in docs/vectors, docs/vectors/README.md) against the C library: every transfer
 * case (every ack and nak in order, and the state after — in RAM and, after a reboot, from flash), every device
 * message byte for byte with its tag, the refused payloads, the control messages and the MQTT passwords. A file in the
 * directory that this runner does not know fails: every vector file is checked.
 */
#include "support.h"
#include "tests.h"
#include "json.h"

#include <dirent.h>
#include <math.h>

static const jval *cur_case;
static const char *cur_file;
static char cur_name[200];

static int hex_eq(const uint8_t *raw, const char *hex) {
  char buf[WGW_HASH_HEX + 1];
  if (raw == NULL || hex == NULL) return raw == NULL && hex == NULL;
  wgw_hex(raw, WGW_HASH_BYTES, buf);
  return strcmp(buf, hex) == 0;
}

static unsigned long num(const jval *obj, const char *key) {
  int ok = 0;
  double v = json_num(obj, key, &ok);
  CHECK(ok);
  return ok ? (unsigned long)v : 0;
}

static wgw_nak_reason reason_by_name(const char *name) {
  int r;
  for (r = WGW_NAK_TRUNCATED; r <= WGW_NAK_INFLATE; r++)
    if (name && strcmp(wgw_nak_reason_name((wgw_nak_reason)r), name) == 0) return (wgw_nak_reason)r;
  return WGW_NAK_NONE;
}

/* planes: an array of hex strings, concatenated */
static bytes planes_of(const jval *fr) {
  const jval *planes = json_get(fr, "planes");
  bytes all = {NULL, 0};
  size_t i;
  if (!planes || planes->type != J_ARR) return all;
  all.p = malloc(1);
  for (i = 0; i < planes->count; i++) {
    bytes b = bytes_from_hex(planes->items[i].str ? planes->items[i].str : "");
    all.p = realloc(all.p, all.n + b.n + 1);
    memcpy(all.p + all.n, b.p, b.n);
    all.n += b.n;
    bytes_free(&b);
  }
  return all;
}

/* ---- transfers and naks -------------------------------------------------------------------------------------- */

static void check_state(display *x, const jval *after, const char *where) {
  uint32_t seq = 0;
  unsigned long want_seq = num(after, "lastSeq");
  const char *shown = json_str(after, "shownHash");
  const char *held = json_str(after, "heldHash");
  int has = wgw_last_seq(&x->dev, &seq);
  if (!(want_seq == 0 ? !has : has && seq == want_seq)) {
    printf("#   %s (%s): lastSeq %s%lu, expected %lu\n", cur_name, where, has ? "" : "none ", (unsigned long)seq, want_seq);
    t_failures++;
  }
  if (!hex_eq(wgw_shown_hash(&x->dev), shown)) {
    printf("#   %s (%s): shown hash differs from %s\n", cur_name, where, shown ? shown : "null");
    t_failures++;
  }
  if (!hex_eq(wgw_held_hash(&x->dev), held)) {
    printf("#   %s (%s): held hash differs from %s\n", cur_name, where, held ? held : "null");
    t_failures++;
  }
  if (held) {
    const jval *at = json_get(after, "heldActivateAt");
    CHECK(at && at->type == J_NUM && (uint32_t)at->num == x->dev.held.activate_at);
  }
}

static unsigned cur_slots = 3;

static void transfer_case(void) {
  const jval *c = cur_case;
  const jval *disp = json_get(c, "display");
  const jval *before = json_get(c, "before");
  const jval *chunks = json_get(c, "chunks");
  const jval *times = json_get(c, "chunkTimesMs");
  const jval *expect = json_get(c, "expect");
  const jval *results = json_get(expect, "results");
  const jval *after = json_get(expect, "after");
  const jval *shown = json_get(before, "shown");
  const jval *held = json_get(before, "held");
  const char *refresh = json_str(after, "refresh");
  uint8_t secret[WGW_SECRET_BYTES];
  display x;
  size_t i, got = 0;
  int shows_before, full_before;
  uint64_t now_ms = (uint64_t)num(before, "now") * 1000u;
  unsigned long last_seq = num(before, "lastSeq");

  CHECK(disp && before && chunks && chunks->type == J_ARR && results && results->type == J_ARR && after);
  if (!disp || !before || !chunks || !results || !after) return;
  CHECK(wgw_unhex(json_str(c, "secret"), secret, WGW_SECRET_BYTES) == 0);
  memset(&x, 0, sizeof x);
  CHECK_EQ_INT(display_new(&x, json_str(disp, "id"), secret, (uint16_t)num(disp, "width"), (uint16_t)num(disp, "height"),
                           (uint8_t)num(disp, "planes"), cur_slots),
               WGW_OK);
  x.max_chunk = (uint16_t)num(disp, "maxChunk");
  x.fl.has_seq = last_seq != 0;
  x.fl.seq = (uint32_t)last_seq;
  if (shown && shown->type == J_OBJ) {
    bytes b = planes_of(shown);
    CHECK_EQ_INT(b.n, x.fl.frame_bytes);
    if (b.n == x.fl.frame_bytes) memcpy(x.fl.shown, b.p, b.n);
    CHECK(wgw_unhex(json_str(shown, "hash"), x.fl.shown_hash, WGW_HASH_BYTES) == 0);
    x.fl.has_shown = 1;
    bytes_free(&b);
  }
  if (held && held->type == J_OBJ) {
    bytes b = planes_of(held);
    CHECK_EQ_INT(b.n, x.fl.frame_bytes);
    if (b.n == x.fl.frame_bytes) memcpy(x.fl.held_frame, b.p, b.n);
    CHECK(wgw_unhex(json_str(held, "hash"), x.fl.held.hash, WGW_HASH_BYTES) == 0);
    x.fl.held.activate_at = (uint32_t)num(held, "activateAt");
    x.fl.held.seq = (uint32_t)last_seq;
    x.fl.has_held = 1;
    bytes_free(&b);
  }
  CHECK_EQ_INT(display_reboot(&x), WGW_OK);
  /* the state before is what the vector says (a frame whose hash did not match would not count as shown) */
  CHECK(hex_eq(wgw_shown_hash(&x.dev), shown && shown->type == J_OBJ ? json_str(shown, "hash") : NULL));
  CHECK(hex_eq(wgw_held_hash(&x.dev), held && held->type == J_OBJ ? json_str(held, "hash") : NULL));
  shows_before = x.fl.shows;
  full_before = x.fl.full_refreshes;

  for (i = 0; i < chunks->count; i++) {
    wgw_result r;
    bytes ch = bytes_from_hex(chunks->items[i].str ? chunks->items[i].str : "");
    uint64_t t = times && times->type == J_ARR && i < times->count ? (uint64_t)times->items[i].num : now_ms;
    wgw_feed(&x.dev, ch.p, ch.n, t, &r);
    bytes_free(&ch);
    if (r.status == WGW_MORE || r.status == WGW_QUIET) continue;
    CHECK(r.status == WGW_ACK || r.status == WGW_NAK);
    if (got >= results->count) {
      printf("#   %s: chunk %zu: an answer more than expected (%s %s)\n", cur_name, i, r.status == WGW_ACK ? "ack" : "nak",
             wgw_nak_reason_name(r.reason));
      t_failures++;
      continue;
    }
    {
      const jval *want = &results->items[got++];
      const char *type = json_str(want, "type");
      const jval *seq = json_get(want, "seq");
      if (strcmp(type ? type : "", r.status == WGW_ACK ? "ack" : "nak") != 0 ||
          (r.status == WGW_NAK && reason_by_name(json_str(want, "reason")) != r.reason)) {
        printf("#   %s: chunk %zu: got %s %s, expected %s %s\n", cur_name, i, r.status == WGW_ACK ? "ack" : "nak",
               wgw_nak_reason_name(r.reason), type ? type : "?", json_str(want, "reason") ? json_str(want, "reason") : "");
        t_failures++;
        continue;
      }
      if (seq == NULL || seq->type == J_NULL) CHECK(!r.has_seq);
      else CHECK(r.has_seq && r.seq == (uint32_t)seq->num);
      if (r.status == WGW_ACK) {
        CHECK(hex_eq(r.hash, json_str(want, "hash")));
        CHECK_EQ_INT(r.activate_at, num(want, "activateAt"));
      }
    }
  }
  if (got != results->count) {
    printf("#   %s: %zu answers, expected %zu\n", cur_name, got, results->count);
    t_failures++;
  }
  check_state(&x, after, "after");
  if (refresh == NULL) {
    CHECK_EQ_INT(x.fl.shows, shows_before);
  } else {
    CHECK_EQ_INT(x.fl.shows, shows_before + 1);
    CHECK_EQ_INT(x.fl.full_refreshes - full_before, strcmp(refresh, "full") == 0 ? 1 : 0);
  }
  /* what it persisted is the same state: after a power loss it comes back with it */
  CHECK_EQ_INT(display_reboot(&x), WGW_OK);
  check_state(&x, after, "after a reboot");
  display_free(&x);
}

/* ---- device messages ----------------------------------------------------------------------------------------- */

static const jval *dm_doc;

static void device_message_case(void) {
  const jval *m = cur_case;
  const jval *f = json_get(m, "fields");
  const char *leaf = json_str(m, "leaf");
  const char *want = json_str(m, "payload");
  const char *panel = json_str(f, "panel");
  uint8_t secret[WGW_SECRET_BYTES];
  display x;
  char buf[1024];
  size_t len = 0;
  wgw_err e = WGW_ERR_ARG;
  const jval *v;
  uint16_t w = 800, h = 480;
  CHECK(leaf && want && f);
  if (!leaf || !want || !f) return;
  CHECK(wgw_unhex(json_str(dm_doc, "secret"), secret, WGW_SECRET_BYTES) == 0);
  if (json_get(f, "width")) w = (uint16_t)num(f, "width");
  if (json_get(f, "height")) h = (uint16_t)num(f, "height");
  memset(&x, 0, sizeof x);
  CHECK_EQ_INT(display_new(&x, json_str(dm_doc, "displayId"), secret, w, h, panel && strstr(panel, "bwr") ? 2 : 1, 2), WGW_OK);
  if (json_get(f, "maxChunk")) x.dev.cfg.max_chunk = (uint16_t)num(f, "maxChunk");
  /* the display's state as the fields report it */
  v = json_get(f, "shownHash");
  if (v && v->type == J_STR) {
    x.dev.has_shown = 1;
    CHECK(wgw_unhex(v->str, x.dev.shown_hash, WGW_HASH_BYTES) == 0);
  }
  v = json_get(f, "scheduledHash");
  if (v && v->type == J_STR) {
    x.dev.has_held = 1;
    CHECK(wgw_unhex(v->str, x.dev.held.hash, WGW_HASH_BYTES) == 0);
  }
  v = json_get(f, strcmp(leaf, "ack") == 0 ? "" : "lastSeq");
  if (v && v->type == J_NUM) {
    x.dev.has_seq = 1;
    x.dev.last_seq = (uint32_t)v->num;
  }
  x.dev.ctr_next = (uint32_t)num(m, "ctr");
  x.dev.ctr_reserved = x.dev.ctr_next;
  if (strcmp(leaf, "hello") == 0) {
    wgw_hello_info hi;
    hi.firmware = json_str(f, "firmware");
    hi.panel = panel;
    hi.battery_mv = (uint32_t)num(f, "batteryMv");
    e = wgw_msg_hello(&x.dev, &hi, buf, sizeof buf, &len);
  } else if (strcmp(leaf, "telemetry") == 0 || strcmp(leaf, "checkin") == 0) {
    int ok = 0;
    wgw_checkin_info ci;
    ci.telemetry.battery_mv = (uint32_t)num(f, "batteryMv");
    ci.telemetry.rssi = (int32_t)json_num(f, "rssi", &ok);
    CHECK(ok);
    ci.telemetry.temperature_dc = (int32_t)lround(json_num(f, "temperatureC", &ok) * 10.0);
    CHECK(ok);
    if (strcmp(leaf, "telemetry") == 0) {
      e = wgw_msg_telemetry(&x.dev, &ci.telemetry, buf, sizeof buf, &len);
    } else {
      ci.wake_reason = json_str(f, "wakeReason");
      ci.listen_ms = (uint32_t)num(f, "listenMs");
      ci.sleep_seconds = (uint32_t)num(f, "sleepSeconds");
      e = wgw_msg_checkin(&x.dev, &ci, (uint64_t)json_num(f, "time", &ok), buf, sizeof buf, &len);
    }
  } else if (strcmp(leaf, "ack") == 0 || strcmp(leaf, "nak") == 0) {
    wgw_result r;
    const jval *seq = json_get(f, "seq");
    memset(&r, 0, sizeof r);
    r.has_seq = seq && seq->type == J_NUM;
    r.seq = r.has_seq ? (uint32_t)seq->num : 0;
    if (strcmp(leaf, "ack") == 0) {
      r.status = WGW_ACK;
      CHECK(wgw_unhex(json_str(f, "hash"), r.hash, WGW_HASH_BYTES) == 0);
      r.activate_at = (uint32_t)num(f, "activateAt");
      e = wgw_msg_ack(&x.dev, &r, buf, sizeof buf, &len);
    } else {
      const jval *ls = json_get(f, "lastSeq");
      r.status = WGW_NAK;
      r.reason = reason_by_name(json_str(f, "reason"));
      r.detail = json_str(f, "detail");
      x.dev.has_seq = ls && ls->type == J_NUM;
      x.dev.last_seq = x.dev.has_seq ? (uint32_t)ls->num : 0;
      e = wgw_msg_nak(&x.dev, &r, buf, sizeof buf, &len);
    }
  } else {
    printf("#   %s: no C builder for leaf %s\n", cur_name, leaf);
    t_failures++;
  }
  CHECK_EQ_INT(e, WGW_OK);
  if (e == WGW_OK) {
    CHECK_STR(buf, want);
    CHECK_EQ_INT(len, strlen(want));
    CHECK_EQ_INT(wgw_message_verify(secret, leaf, buf, len), WGW_TAG_VALID);
  }
  display_free(&x);
}

static void refused_message_case(void) {
  const jval *m = cur_case;
  const char *payload = json_str(m, "payload");
  const char *expect = json_str(m, "expect");
  uint8_t secret[WGW_SECRET_BYTES];
  wgw_tag_check got;
  CHECK(payload && expect);
  if (!payload || !expect) return;
  CHECK(wgw_unhex(json_str(dm_doc, "secret"), secret, WGW_SECRET_BYTES) == 0);
  got = wgw_message_verify(secret, json_str(m, "leaf"), payload, strlen(payload));
  if (strcmp(expect, "bad-tag") == 0) CHECK_EQ_INT(got, WGW_TAG_WRONG);
  else if (strcmp(expect, "untagged") == 0) CHECK_EQ_INT(got, WGW_TAG_ABSENT);
  else CHECK(!"unknown expectation");
}

/* the counter sequence: every step is a genuine message (its verdict is the controller's, checked in TypeScript) */
static void counter_steps_case(void) {
  const jval *steps = json_get(cur_case, "steps");
  uint8_t secret[WGW_SECRET_BYTES];
  size_t i;
  CHECK(steps && steps->type == J_ARR && steps->count > 0);
  if (!steps) return;
  CHECK(wgw_unhex(json_str(dm_doc, "secret"), secret, WGW_SECRET_BYTES) == 0);
  for (i = 0; i < steps->count; i++) {
    const char *p = json_str(&steps->items[i], "payload");
    CHECK(p && wgw_message_verify(secret, json_str(&steps->items[i], "leaf"), p, strlen(p)) == WGW_TAG_VALID);
  }
}

/* ---- control, MQTT password ----------------------------------------------------------------------------------- */

static const jval *control_doc;

static void control_case(void) {
  const jval *c = cur_case;
  const jval *disp = json_get(c, "display");
  const jval *expect = json_get(c, "expect");
  const jval *accepted = json_get(expect, "accepted");
  uint8_t secret[WGW_SECRET_BYTES];
  bytes msg = bytes_from_hex(json_str(c, "message") ? json_str(c, "message") : "");
  display x;
  wgw_control out;
  int ok = 0;
  wgw_control_status st;
  CHECK(wgw_unhex(json_str(control_doc, "secret"), secret, WGW_SECRET_BYTES) == 0);
  memset(&x, 0, sizeof x);
  CHECK_EQ_INT(display_new(&x, "ds-vec", secret, 16, 2, 1, 2), WGW_OK);
  x.dev.has_checkin = 1;
  x.dev.checkin_time = (uint64_t)json_num(disp, "lastCheckInTime", &ok);
  CHECK(ok);
  st = wgw_control_verify(&x.dev, msg.p, msg.n, (uint64_t)json_num(disp, "nowMs", &ok), &out);
  CHECK(accepted && accepted->type == J_BOOL);
  if (accepted && accepted->boolean) {
    CHECK_EQ_INT(st, WGW_CONTROL_OK);
    CHECK(st == WGW_CONTROL_OK && out.clock_ms == (uint64_t)json_num(expect, "clockAfterMs", &ok));
    CHECK(st == WGW_CONTROL_OK && out.check_in_seconds == (uint32_t)num(expect, "checkInSeconds"));
    /* answered once only */
    CHECK_EQ_INT(wgw_control_verify(&x.dev, msg.p, msg.n, (uint64_t)json_num(disp, "nowMs", &ok), &out), WGW_CONTROL_NOT_AN_ANSWER);
  } else {
    CHECK(st != WGW_CONTROL_OK);
  }
  bytes_free(&msg);
  display_free(&x);
}

static void mqtt_password_case(void) {
  uint8_t secret[WGW_SECRET_BYTES];
  char pw[WGW_MQTT_PASSWORD_CHARS];
  CHECK(wgw_unhex(json_str(cur_case, "secret"), secret, WGW_SECRET_BYTES) == 0);
  wgw_mqtt_password(secret, pw);
  CHECK_STR(pw, json_str(cur_case, "password") ? json_str(cur_case, "password") : "");
}

/* ---- the runner ------------------------------------------------------------------------------------------------ */

static void run_case(const char *file, const jval *c, const char *label, test_fn fn) {
  cur_case = c;
  cur_file = file;
  snprintf(cur_name, sizeof cur_name, "vector %s: %s", file, label ? label : "?");
  run_test(cur_name, fn);
}

static void run_cases(const char *file, const jval *cases, test_fn fn) {
  size_t i;
  if (!cases || cases->type != J_ARR) return;
  for (i = 0; i < cases->count; i++) {
    char label[160];
    const char *name = json_str(&cases->items[i], "name");
    snprintf(label, sizeof label, "%s%s", name ? name : "", fn == transfer_case && cur_slots == 1 ? " (one frame buffer)" : "");
    if (!name) snprintf(label, sizeof label, "case %zu", i);
    run_case(file, &cases->items[i], label, fn);
  }
}

static void no_cases(void) {
  printf("#   %s: no cases found\n", cur_name);
  t_failures++;
}

static void unknown_file(void) {
  printf("#   %s: the C tests do not check this vector file\n", cur_name);
  t_failures++;
}

static int check_file(const char *dir, const char *file) {
  char path[1024];
  size_t n = 0;
  char *text;
  jval *doc;
  snprintf(path, sizeof path, "%s/%s", dir, file);
  text = read_whole_file(path, &n);
  doc = text ? json_parse(text, n) : NULL;
  if (!doc) {
    run_case(file, NULL, "readable JSON", no_cases);
    free(text);
    return 0;
  }
  if (strcmp(file, "transfers.json") == 0 || strcmp(file, "naks.json") == 0) {
    /* with three frame buffers (nothing read back) and with one (the least RAM: deltas decoded in place, the frame on
       screen read again through the hooks after a refusal) */
    cur_slots = 3;
    run_cases(file, json_get(doc, "cases"), transfer_case);
    cur_slots = 1;
    run_cases(file, json_get(doc, "cases"), transfer_case);
  } else if (strcmp(file, "device-messages.json") == 0) {
    dm_doc = doc;
    run_cases(file, json_get(doc, "messages"), device_message_case);
    run_cases(file, json_get(doc, "refused"), refused_message_case);
    run_case(file, json_get(doc, "counter"), "counter steps are genuine", counter_steps_case);
  } else if (strcmp(file, "control.json") == 0) {
    control_doc = doc;
    run_cases(file, json_get(doc, "cases"), control_case);
  } else if (strcmp(file, "mqtt-password.json") == 0) {
    run_cases(file, json_get(doc, "cases"), mqtt_password_case);
  } else {
    run_case(file, doc, "known", unknown_file);
  }
  json_free(doc);
  free(text);
  return 1;
}

int vector_tests(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char names[64][256];
  int count = 0, i, j, files = 0;
  if (d == NULL) {
    cur_name[0] = '\0';
    snprintf(cur_name, sizeof cur_name, "vector directory %s", dir);
    run_test(cur_name, no_cases);
    return 0;
  }
  while ((e = readdir(d)) != NULL && count < 64) {
    size_t n = strlen(e->d_name);
    if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) snprintf(names[count++], sizeof names[0], "%s", e->d_name);
  }
  closedir(d);
  /* in name order: the output does not depend on the file system */
  for (i = 1; i < count; i++)
    for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char tmp[256];
      memcpy(tmp, names[j], sizeof tmp);
      memcpy(names[j], names[j - 1], sizeof tmp);
      memcpy(names[j - 1], tmp, sizeof tmp);
    }
  for (i = 0; i < count; i++) files += check_file(dir, names[i]);
  if (count == 0) {
    snprintf(cur_name, sizeof cur_name, "vector files in %s", dir);
    run_test(cur_name, no_cases);
  }
  return files;
}

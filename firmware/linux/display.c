/*
 * wegweiser-display: a Wegweiser display on Linux, built on the device library (the reference firmware core,
 * runnable on a desk). It logs in to the controller's broker with a display's credentials, subscribes to exactly
 * what the ACL allows (its frame and control topics, bridge/state), says hello, decodes transfers, persists its state
 * in a directory, acks or naks, and writes its panel as PNG (or PBM) whenever it changes. A live bridge/state
 * "online" is answered with a hello. With --check-in it sleeps like a battery display: it wakes every interval
 * (check-in, listens, sleeps again) and takes its clock and interval from the controller's control messages.
 *
 * Fault knobs as the TypeScript simulator has them (--drop, --corrupt, --duplicate, --reorder, --reboot, --seed):
 * a reboot is a power loss — the library starts again from the files, RAM is gone. SIGUSR1 quiets the link (no
 * faults), SIGUSR2 brings them back; SIGTERM says "offline" and exits.
 *
 * Everything it does is logged on stdout, one event per line: `event=<name> key=value …` (tests read these).
 */
#include "display.h"
#include "json.h"

#include <errno.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIRMWARE "wegweiser-c 1.1.0"
#define MAX_TOPIC 160

/* ---- options --------------------------------------------------------------------------------------------------- */

typedef struct options {
  const char *id;
  const char *data_dir;
  const char *secret_hex;
  const char *host;
  int port;
  const char *prefix;
  const char *panel;
  const char *state_dir;
  const char *png;
  const char *pbm;
  unsigned max_chunk;
  unsigned slots;
  long check_in;
  unsigned listen_ms;
  unsigned telemetry_s;
  unsigned battery_mv;
  long long clock_offset_ms;
  unsigned reconnect_ms;
  double drop, corrupt, duplicate, reorder, reboot;
  unsigned long seed;
  int log_chunks;
} options;

static void usage(FILE *f) {
  fprintf(f,
          "usage: wegweiser-display --id ID (--data DIR | --secret HEX) [options]\n"
          "  --id ID               display id (its MQTT user name and client id)\n"
          "  --data DIR            the controller's data directory: the secret from DIR/secrets.json\n"
          "  --secret HEX          the display's secret, 64 hex digits (instead of --data)\n"
          "  --mqtt-url URL        mqtt://host:port (default mqtt://127.0.0.1:1883)\n"
          "  --prefix P            topic prefix (default wegweiser)\n"
          "  --panel NAME          epd-7in5-bw (default) or epd-7in5-bwr\n"
          "  --state-dir DIR       where it persists its state (default ./display-state/ID)\n"
          "  --png FILE, --pbm FILE  the panel as an image, rewritten when it changes\n"
          "  --max-chunk N         largest chunk it accepts, header included (default 4096)\n"
          "  --slots 1|2|3         frame buffers in RAM (default 3; with fewer the shown and held frames are read back\n"
          "                        from the state directory when needed)\n"
          "  --check-in S          sleep S seconds between check-ins (battery display); default: always listening\n"
          "  --listen-ms N         how long it listens after a check-in (default 2000)\n"
          "  --telemetry S         always listening: telemetry every S seconds (default 0: never)\n"
          "  --battery-mv N        reported battery voltage (default 2950)\n"
          "  --clock-offset-ms N   its clock's error at start (control messages correct it)\n"
          "  --drop P --corrupt P --duplicate P --reorder P --reboot P --seed N   link and device faults\n"
          "  --log-chunks          log every frame chunk its radio receives (hex), before the link's faults\n");
}

static int parse_prob(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (*end != '\0' || v < 0 || v > 1) return -1;
  *out = v;
  return 0;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out) {
  char *end;
  unsigned long v;
  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno || *end != '\0' || end == s || v > max) return -1;
  *out = v;
  return 0;
}

static int parse_url(const char *url, options *o) {
  static char host[256];
  const char *p = url;
  const char *colon;
  unsigned long port = 1883;
  if (strncmp(p, "mqtt://", 7) != 0) return -1;
  p += 7;
  colon = strrchr(p, ':');
  if (colon) {
    if (parse_ulong(colon + 1, 65535, &port) || port == 0) return -1;
  }
  if ((size_t)((colon ? colon : p + strlen(p)) - p) >= sizeof host) return -1;
  snprintf(host, sizeof host, "%.*s", (int)((colon ? colon : p + strlen(p)) - p), p);
  if (host[0] == '\0') return -1;
  o->host = host;
  o->port = (int)port;
  return 0;
}

static int parse_args(int argc, char **argv, options *o) {
  int i;
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->port = 1883;
  o->prefix = "wegweiser";
  o->panel = "epd-7in5-bw";
  o->max_chunk = 4096;
  o->slots = 3;
  o->check_in = 0;
  o->listen_ms = 2000;
  o->battery_mv = 2950;
  o->reconnect_ms = 1000;
  o->seed = 1;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    unsigned long n = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    }
    if (strcmp(a, "--log-chunks") == 0) {
      o->log_chunks = 1;
      continue;
    }
    if (v == NULL) {
      fprintf(stderr, "%s needs a value\n", a);
      return -1;
    }
    i++;
    if (strcmp(a, "--id") == 0) o->id = v;
    else if (strcmp(a, "--data") == 0) o->data_dir = v;
    else if (strcmp(a, "--secret") == 0) o->secret_hex = v;
    else if (strcmp(a, "--mqtt-url") == 0) {
      if (parse_url(v, o)) { fprintf(stderr, "--mqtt-url: expected mqtt://host:port, got %s\n", v); return -1; }
    } else if (strcmp(a, "--prefix") == 0) o->prefix = v;
    else if (strcmp(a, "--panel") == 0) o->panel = v;
    else if (strcmp(a, "--state-dir") == 0) o->state_dir = v;
    else if (strcmp(a, "--png") == 0) o->png = v;
    else if (strcmp(a, "--pbm") == 0) o->pbm = v;
    else if (strcmp(a, "--max-chunk") == 0 && !parse_ulong(v, 65535, &n) && n >= WGW_MIN_CHUNK) o->max_chunk = (unsigned)n;
    else if (strcmp(a, "--slots") == 0 && !parse_ulong(v, 3, &n) && n >= 1) o->slots = (unsigned)n;
    else if (strcmp(a, "--check-in") == 0 && !parse_ulong(v, 86400, &n)) o->check_in = (long)n;
    else if (strcmp(a, "--listen-ms") == 0 && !parse_ulong(v, 120000, &n) && n >= 100) o->listen_ms = (unsigned)n;
    else if (strcmp(a, "--telemetry") == 0 && !parse_ulong(v, 86400, &n)) o->telemetry_s = (unsigned)n;
    else if (strcmp(a, "--battery-mv") == 0 && !parse_ulong(v, 10000, &n)) o->battery_mv = (unsigned)n;
    else if (strcmp(a, "--clock-offset-ms") == 0) o->clock_offset_ms = strtoll(v, NULL, 10);
    else if (strcmp(a, "--reconnect-ms") == 0 && !parse_ulong(v, 600000, &n) && n >= 10) o->reconnect_ms = (unsigned)n;
    else if (strcmp(a, "--drop") == 0 && !parse_prob(v, &o->drop)) continue;
    else if (strcmp(a, "--corrupt") == 0 && !parse_prob(v, &o->corrupt)) continue;
    else if (strcmp(a, "--duplicate") == 0 && !parse_prob(v, &o->duplicate)) continue;
    else if (strcmp(a, "--reorder") == 0 && !parse_prob(v, &o->reorder)) continue;
    else if (strcmp(a, "--reboot") == 0 && !parse_prob(v, &o->reboot)) continue;
    else if (strcmp(a, "--seed") == 0 && !parse_ulong(v, 0xffffffffUL, &o->seed)) continue;
    else {
      fprintf(stderr, "bad option or value: %s %s\n", a, v);
      return -1;
    }
  }
  if (!wgw_valid_id(o->id)) {
    fprintf(stderr, "--id: a display id is [A-Za-z0-9][A-Za-z0-9._-]{0,31}\n");
    return -1;
  }
  if (!o->data_dir == !o->secret_hex) {
    fprintf(stderr, "give either --data or --secret\n");
    return -1;
  }
  return 0;
}

/* The secret of display `id` from the controller's DATA_DIR/secrets.json ({"version":1,"displays":{id: hex}}). */
static int secret_from_data_dir(const char *dir, const char *id, uint8_t secret[WGW_SECRET_BYTES]) {
  char path[600];
  size_t n = 0;
  char *text;
  jval *doc;
  const char *hex;
  int rc = -1;
  snprintf(path, sizeof path, "%s/secrets.json", dir);
  text = read_whole_file(path, &n);
  if (text == NULL) {
    fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  doc = json_parse(text, n);
  hex = doc ? json_str(json_get(doc, "displays"), id) : NULL;
  if (hex == NULL) fprintf(stderr, "%s: no secret for display %s\n", path, id);
  else if (wgw_unhex(hex, secret, WGW_SECRET_BYTES) != 0) fprintf(stderr, "%s: the secret of %s is not 64 hex digits\n", path, id);
  else rc = 0;
  json_free(doc);
  free(text);
  return rc;
}

/* ---- the display ------------------------------------------------------------------------------------------------ */

typedef struct app {
  options o;
  wgw_device dev;
  wgw_config cfg;
  file_store store;
  struct mosquitto *mosq;
  char t_frame[MAX_TOPIC], t_control[MAX_TOPIC], t_bridge[MAX_TOPIC], t_hello[MAX_TOPIC], t_ack[MAX_TOPIC],
      t_nak[MAX_TOPIC], t_avail[MAX_TOPIC], t_checkin[MAX_TOPIC], t_telemetry[MAX_TOPIC];
  const char *panel_id;
  int connected;
  int subscribe_mid;
  int awake;
  uint64_t sleep_at;
  uint64_t sleep_grace_until;
  uint64_t wake_at;
  uint64_t next_telemetry;
  uint64_t reconnect_at;
  /* faults: as configured, or none while the link is quiet (SIGUSR1; SIGUSR2 brings them back) */
  struct {
    double drop, corrupt, duplicate, reorder, reboot;
  } faults;
  int quiet;
  uint32_t rng;
  uint8_t *held_chunk;
  size_t held_len;
} app;

static volatile sig_atomic_t stopping = 0;
static volatile sig_atomic_t quiet_wanted = 0;

static void on_signal(int sig) {
  if (sig == SIGUSR1) quiet_wanted = 1;
  else if (sig == SIGUSR2) quiet_wanted = 0;
  else stopping = 1;
}

/* the link's faults as configured, or none */
static void set_faults(app *a, int quiet) {
  a->quiet = quiet;
  a->faults.drop = quiet ? 0 : a->o.drop;
  a->faults.corrupt = quiet ? 0 : a->o.corrupt;
  a->faults.duplicate = quiet ? 0 : a->o.duplicate;
  a->faults.reorder = quiet ? 0 : a->o.reorder;
  a->faults.reboot = quiet ? 0 : a->o.reboot;
}

static uint64_t real_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The display's own clock: the system clock plus the correction the controller's control messages set. */
static uint64_t device_ms(const app *a) {
  return (uint64_t)((long long)real_ms() + a->store.clock_offset_ms);
}

static void event(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("event=", stdout);
  vfprintf(stdout, fmt, ap);
  fputc('\n', stdout);
  fflush(stdout);
  va_end(ap);
}

static const char *hex_or_none(const uint8_t *hash, char buf[WGW_HASH_HEX + 1]) {
  if (hash == NULL) return "none";
  wgw_hex(hash, WGW_HASH_BYTES, buf);
  return buf;
}

/* mulberry32, as firmware-sim/faults.ts: uniform in [0, 1) */
static double random01(app *a) {
  uint32_t t;
  a->rng += 0x6d2b79f5u;
  t = a->rng;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return (double)(t ^ (t >> 14)) / 4294967296.0;
}

static void publish(app *a, const char *topic, const char *payload, size_t n, int retain) {
  int rc = mosquitto_publish(a->mosq, NULL, topic, (int)n, payload, 1, retain);
  if (rc != MOSQ_ERR_SUCCESS) event("publish-failed topic=%s error=%s", topic, mosquitto_strerror(rc));
}

static void say_hello(app *a) {
  char buf[1024];
  size_t n = 0;
  wgw_hello_info hi;
  wgw_err e;
  hi.firmware = FIRMWARE;
  hi.panel = a->panel_id;
  hi.battery_mv = a->o.battery_mv;
  e = wgw_msg_hello(&a->dev, &hi, buf, sizeof buf, &n);
  if (e != WGW_OK) {
    event("message-failed kind=hello error=%d", (int)e);
    return;
  }
  publish(a, a->t_hello, buf, n, 0);
  event("hello %s", buf);
}

static void send_telemetry(app *a) {
  char buf[512];
  size_t n = 0;
  wgw_telemetry t;
  t.battery_mv = a->o.battery_mv;
  t.rssi = -55;
  t.temperature_dc = 215;
  if (wgw_msg_telemetry(&a->dev, &t, buf, sizeof buf, &n) == WGW_OK) {
    publish(a, a->t_telemetry, buf, n, 0);
    event("telemetry %s", buf);
  }
}

static int sleepy(const app *a) {
  return a->store.check_in_seconds > 0;
}

static void wake(app *a, const char *reason) {
  char buf[1024];
  size_t n = 0;
  wgw_checkin_info ci;
  uint64_t now = device_ms(a);
  a->awake = 1;
  a->wake_at = 0;
  ci.telemetry.battery_mv = a->o.battery_mv;
  ci.telemetry.rssi = -61;
  ci.telemetry.temperature_dc = 215;
  ci.wake_reason = reason;
  ci.listen_ms = a->o.listen_ms;
  ci.sleep_seconds = (uint32_t)(a->store.check_in_seconds > 0 ? a->store.check_in_seconds : 60);
  publish(a, a->t_avail, "online", 6, 1);
  if (wgw_msg_checkin(&a->dev, &ci, now, buf, sizeof buf, &n) == WGW_OK) {
    publish(a, a->t_checkin, buf, n, 0);
    event("checkin %s", buf);
  }
  a->sleep_at = real_ms() + a->o.listen_ms;
  a->sleep_grace_until = a->sleep_at + 10u * a->o.listen_ms;
}

static void go_to_sleep(app *a) {
  a->awake = 0;
  wgw_abort_transfer(&a->dev);
  publish(a, a->t_avail, "asleep", 6, 1);
  a->wake_at = real_ms() + (uint64_t)a->store.check_in_seconds * 1000u;
  event("sleep seconds=%ld", a->store.check_in_seconds);
}

/* Power loss: RAM is gone; the library starts again from what it persisted. */
static int power_cycle(app *a) {
  wgw_err e;
  free(a->held_chunk);
  a->held_chunk = NULL;
  memset(&a->dev, 0, sizeof a->dev);
  e = wgw_init(&a->dev, &a->cfg);
  if (e != WGW_OK) {
    event("init-failed error=%d", (int)e);
    return -1;
  }
  return 0;
}

static void answer(app *a, const wgw_result *r) {
  char buf[1024];
  char hex[WGW_HASH_HEX + 1];
  size_t n = 0;
  int passes;
  if (r->status == WGW_FAILED) {
    event("failed error=%d", (int)r->err);
    return;
  }
  if (r->status != WGW_ACK && r->status != WGW_NAK) return;
  if ((r->status == WGW_ACK ? wgw_msg_ack(&a->dev, r, buf, sizeof buf, &n) : wgw_msg_nak(&a->dev, r, buf, sizeof buf, &n)) != WGW_OK) {
    event("message-failed kind=%s", r->status == WGW_ACK ? "ack" : "nak");
    return;
  }
  passes = !(random01(a) < a->faults.drop);
  if (passes) publish(a, r->status == WGW_ACK ? a->t_ack : a->t_nak, buf, n, 0);
  else event("fault kind=reply-dropped");
  if (r->status == WGW_ACK) {
    event("ack seq=%lu hash=%s activateAt=%lu repeated=%d %s", (unsigned long)r->seq, hex_or_none(r->hash, hex),
          (unsigned long)r->activate_at, r->repeated, buf);
  } else {
    event("nak seq=%s%lu reason=%s %s", r->has_seq ? "" : "null", r->has_seq ? (unsigned long)r->seq : 0ul,
          wgw_nak_reason_name(r->reason), buf);
  }
}

static void take_chunk(app *a, const uint8_t *c, size_t n) {
  wgw_result r;
  wgw_feed(&a->dev, c, n, device_ms(a), &r);
  answer(a, &r);
  if (random01(a) < a->faults.reboot) {
    event("fault kind=reboot");
    if (power_cycle(a) == 0) say_hello(a);
  }
}

/* The radio link's faults, as firmware-sim/faults.ts applies them, then the chunks in the order they arrive. */
static void on_frame(app *a, const uint8_t *payload, size_t n) {
  uint8_t *c;
  if (a->o.log_chunks) {
    char *hex = malloc(2 * n + 1);
    size_t i;
    if (hex != NULL) {
      for (i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", payload[i]);
      hex[2 * n] = '\0';
      event("chunk hex=%s", hex);
      free(hex);
    }
  }
  if (n > a->o.max_chunk) {
    /* a receive buffer this size cannot hold it: dropped as a real radio would */
    event("oversize-chunk bytes=%zu max=%u", n, a->o.max_chunk);
    return;
  }
  if (random01(a) < a->faults.drop) {
    event("fault kind=drop");
    return;
  }
  c = malloc(n ? n : 1);
  if (c == NULL) return;
  memcpy(c, payload, n);
  if (random01(a) < a->faults.corrupt && n > 0) {
    size_t i = (size_t)(random01(a) * (double)n);
    c[i] ^= (uint8_t)(1 + (int)(random01(a) * 255));
    event("fault kind=corrupt byte=%zu", i);
  }
  if (a->held_chunk) {
    uint8_t *held = a->held_chunk;
    size_t held_len = a->held_len;
    a->held_chunk = NULL;
    take_chunk(a, c, n);
    take_chunk(a, held, held_len);
    free(held);
    free(c);
    return;
  }
  if (random01(a) < a->faults.reorder) {
    event("fault kind=reorder");
    a->held_chunk = c;
    a->held_len = n;
    return;
  }
  if (random01(a) < a->faults.duplicate) {
    event("fault kind=duplicate");
    take_chunk(a, c, n);
  }
  take_chunk(a, c, n);
  free(c);
}

static void on_control(app *a, const uint8_t *payload, size_t n) {
  static const char *names[] = {"ok", "malformed", "bad-tag", "not-an-answer", "late"};
  wgw_control c;
  uint64_t now = device_ms(a);
  wgw_control_status s = wgw_control_verify(&a->dev, payload, n, now, &c);
  if (s != WGW_CONTROL_OK) {
    event("control result=%s", names[s]);
    return;
  }
  a->store.clock_offset_ms += (long long)c.clock_ms - (long long)now;
  a->store.check_in_seconds = (long)c.check_in_seconds;
  if (store_save_clock(&a->store) != 0) event("store-failed what=clock");
  event("control result=ok interval=%lu offset=%lld", (unsigned long)c.check_in_seconds, a->store.clock_offset_ms);
  if (!sleepy(a) && !a->awake) wake(a, "timer");
}

static void on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg) {
  app *a = ctx;
  (void)m;
  if (strcmp(msg->topic, a->t_bridge) == 0) {
    /* a live "online" (not the retained copy a subscription gets): the controller asks what we show */
    if (!msg->retain && msg->payloadlen == 6 && memcmp(msg->payload, "online", 6) == 0 && a->awake) say_hello(a);
    return;
  }
  if (strcmp(msg->topic, a->t_control) == 0) {
    on_control(a, msg->payload, (size_t)msg->payloadlen);
    return;
  }
  if (strcmp(msg->topic, a->t_frame) != 0) return;
  if (!a->awake) {
    event("missed-asleep bytes=%d", msg->payloadlen);
    return;
  }
  on_frame(a, msg->payload, (size_t)msg->payloadlen);
}

static void on_connect(struct mosquitto *m, void *ctx, int rc) {
  app *a = ctx;
  const char *subs[3];
  int i;
  if (rc != 0) {
    event("connect-refused code=%d reason=%s", rc, mosquitto_connack_string(rc));
    return;
  }
  a->connected = 1;
  event("connected");
  subs[0] = a->t_frame;
  subs[1] = a->t_control;
  subs[2] = a->t_bridge;
  for (i = 0; i < 3; i++) {
    int mid = 0;
    if (mosquitto_subscribe(m, &mid, subs[i], 1) != MOSQ_ERR_SUCCESS) event("subscribe-failed topic=%s", subs[i]);
    a->subscribe_mid = mid;
  }
}

static void on_subscribe(struct mosquitto *m, void *ctx, int mid, int qos_count, const int *granted) {
  app *a = ctx;
  int i;
  (void)m;
  for (i = 0; i < qos_count; i++)
    if (granted[i] > 2) event("subscribe-refused mid=%d", mid);
  if (mid != a->subscribe_mid) return;
  /* subscribed to everything: now the controller may answer */
  say_hello(a);
  if (sleepy(a)) {
    wake(a, "boot");
  } else {
    a->awake = 1;
    publish(a, a->t_avail, "online", 6, 1);
  }
}

static void on_disconnect(struct mosquitto *m, void *ctx, int rc) {
  app *a = ctx;
  (void)m;
  a->connected = 0;
  a->reconnect_at = real_ms() + a->o.reconnect_ms;
  event("disconnected code=%d", rc);
}

static void on_show(void *ctx, const uint8_t hash[WGW_HASH_BYTES], int full_refresh) {
  char hex[WGW_HASH_HEX + 1];
  (void)ctx;
  wgw_hex(hash, WGW_HASH_BYTES, hex);
  event("shown hash=%s refresh=%s", hex, full_refresh ? "full" : "partial");
}

/* Frame buffers for the largest panel class; the library holds no memory of its own beyond its wgw_device. */
static uint8_t slot_memory[WGW_MAX_SLOTS][WGW_EPD_7IN5_BWR_FRAME_BYTES];
static app the_app;

static void topic(char *out, const options *o, const char *leaf) {
  snprintf(out, MAX_TOPIC, "%s/display/%s/%s", o->prefix, o->id, leaf);
}

int main(int argc, char **argv) {
  app *a = &the_app;
  char password[WGW_MQTT_PASSWORD_CHARS];
  char hex[WGW_HASH_HEX + 1];
  unsigned i;
  wgw_err e;
  uint32_t seq = 0;

  if (parse_args(argc, argv, &a->o) != 0) {
    usage(stderr);
    return 2;
  }
  memset(&a->cfg, 0, sizeof a->cfg);
  a->cfg.id = a->o.id;
  if (a->o.data_dir ? secret_from_data_dir(a->o.data_dir, a->o.id, a->cfg.secret) : wgw_unhex(a->o.secret_hex, a->cfg.secret, WGW_SECRET_BYTES)) {
    if (!a->o.data_dir) fprintf(stderr, "--secret: expected 64 hex digits\n");
    return 2;
  }
  if (strcmp(a->o.panel, "epd-7in5-bw") == 0) a->cfg.planes = 1;
  else if (strcmp(a->o.panel, "epd-7in5-bwr") == 0) a->cfg.planes = 2;
  else {
    fprintf(stderr, "--panel: epd-7in5-bw or epd-7in5-bwr\n");
    return 2;
  }
  a->panel_id = a->o.panel;
  a->cfg.width = WGW_EPD_7IN5_WIDTH;
  a->cfg.height = WGW_EPD_7IN5_HEIGHT;
  for (i = 0; i < a->o.slots; i++) a->cfg.slots[i] = slot_memory[i];
  a->cfg.slot_count = a->o.slots;
  a->cfg.slot_bytes = sizeof slot_memory[0];
  a->cfg.max_chunk = (uint16_t)a->o.max_chunk;

  if (a->o.state_dir) {
    snprintf(a->store.dir, sizeof a->store.dir, "%s", a->o.state_dir);
  } else {
    (void)mkdir("display-state", 0700);
    snprintf(a->store.dir, sizeof a->store.dir, "display-state/%s", a->o.id);
  }
  a->store.width = a->cfg.width;
  a->store.height = a->cfg.height;
  a->store.planes = a->cfg.planes;
  if (a->o.png) snprintf(a->store.png, sizeof a->store.png, "%s", a->o.png);
  if (a->o.pbm) snprintf(a->store.pbm, sizeof a->store.pbm, "%s", a->o.pbm);
  a->store.on_show = on_show;
  a->store.ctx = a;
  if (store_open(&a->store) != 0) {
    fprintf(stderr, "cannot use the state directory %s: %s\n", a->store.dir, strerror(errno));
    return 1;
  }
  if (a->o.clock_offset_ms != 0) a->store.clock_offset_ms = a->o.clock_offset_ms;
  if (a->store.check_in_seconds < 0) a->store.check_in_seconds = a->o.check_in;
  store_hooks(&a->store, &a->cfg.hooks);
  e = wgw_init(&a->dev, &a->cfg);
  if (e != WGW_OK) {
    fprintf(stderr, "the device library refused to start (%d): %s\n", (int)e,
            e == WGW_ERR_STORAGE ? "the state directory is damaged" : "bad configuration");
    return 1;
  }
  /* what it shows is on its panel from the start (the e-paper kept it) */
  if (wgw_shown_frame(&a->dev) && store_write_panel(&a->store, wgw_shown_frame(&a->dev)) != 0) event("panel-write-failed");
  a->rng = (uint32_t)a->o.seed;

  topic(a->t_frame, &a->o, "frame");
  topic(a->t_control, &a->o, "control");
  topic(a->t_hello, &a->o, "hello");
  topic(a->t_ack, &a->o, "ack");
  topic(a->t_nak, &a->o, "nak");
  topic(a->t_avail, &a->o, "availability");
  topic(a->t_checkin, &a->o, "checkin");
  topic(a->t_telemetry, &a->o, "telemetry");
  snprintf(a->t_bridge, MAX_TOPIC, "%s/bridge/state", a->o.prefix);

  event("start id=%s panel=%s lastSeq=%s%lu shown=%s", a->o.id, a->panel_id, wgw_last_seq(&a->dev, &seq) ? "" : "null",
        (unsigned long)seq, hex_or_none(wgw_shown_hash(&a->dev), hex));

  set_faults(a, 0);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGUSR1, on_signal);
  signal(SIGUSR2, on_signal);
  mosquitto_lib_init();
  a->mosq = mosquitto_new(a->o.id, true, a); /* its client id is its user name: the only one its login may use */
  if (a->mosq == NULL) {
    fprintf(stderr, "mosquitto_new failed\n");
    return 1;
  }
  wgw_mqtt_password(a->cfg.secret, password);
  mosquitto_username_pw_set(a->mosq, a->o.id, password);
  mosquitto_will_set(a->mosq, a->t_avail, 7, "offline", 1, true);
  mosquitto_connect_callback_set(a->mosq, on_connect);
  mosquitto_subscribe_callback_set(a->mosq, on_subscribe);
  mosquitto_message_callback_set(a->mosq, on_message);
  mosquitto_disconnect_callback_set(a->mosq, on_disconnect);
  a->reconnect_at = 0;
  a->next_telemetry = a->o.telemetry_s ? real_ms() + (uint64_t)a->o.telemetry_s * 1000u : 0;

  while (!stopping) {
    uint64_t now = real_ms();
    int changed;
    if (quiet_wanted != a->quiet) {
      set_faults(a, quiet_wanted);
      event("link faults=%s", a->quiet ? "off" : "on");
    }
    if (!a->connected && now >= a->reconnect_at) {
      int rc = a->reconnect_at == 0 ? mosquitto_connect(a->mosq, a->o.host, a->o.port, 30) : mosquitto_reconnect(a->mosq);
      if (rc != MOSQ_ERR_SUCCESS) {
        event("connect-failed error=%s", mosquitto_strerror(rc));
        a->reconnect_at = now + a->o.reconnect_ms;
        usleep(100000);
        continue;
      }
      a->reconnect_at = now + a->o.reconnect_ms; /* until the CONNACK says otherwise */
      a->connected = 1;                          /* the socket is up; on_connect confirms, on_disconnect undoes */
    }
    if (a->connected) {
      int rc = mosquitto_loop(a->mosq, 100, 1);
      if (rc != MOSQ_ERR_SUCCESS && a->connected) {
        a->connected = 0;
        a->reconnect_at = now + a->o.reconnect_ms;
        event("link-lost error=%s", mosquitto_strerror(rc));
      }
    } else {
      usleep(50000);
    }
    /* the display's timer: a held frame at its second, an abandoned transfer */
    changed = wgw_poll(&a->dev, device_ms(a));
    if (changed < 0) event("failed error=%d", changed);
    now = real_ms();
    if (sleepy(a)) {
      if (a->awake && a->sleep_at && now >= a->sleep_at) {
        /* a transfer still coming in keeps it awake a while longer */
        if (wgw_busy(&a->dev) && now < a->sleep_grace_until) a->sleep_at = now + 250;
        else go_to_sleep(a);
      } else if (!a->awake && a->wake_at && now >= a->wake_at && a->connected) {
        wake(a, "timer");
      }
    } else if (a->next_telemetry && now >= a->next_telemetry && a->connected) {
      send_telemetry(a);
      a->next_telemetry = now + (uint64_t)a->o.telemetry_s * 1000u;
    }
  }
  if (a->connected) {
    mosquitto_publish(a->mosq, NULL, a->t_avail, 7, "offline", 1, true);
    for (i = 0; i < 5; i++) mosquitto_loop(a->mosq, 50, 1);
    mosquitto_disconnect(a->mosq);
  }
  mosquitto_destroy(a->mosq);
  mosquitto_lib_cleanup();
  free(a->held_chunk);
  event("stopped");
  return 0;
}

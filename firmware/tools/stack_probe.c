/*
 * Measures the stack each entry point of the device library really uses — zlib's inflate and mbedTLS's SHA-256
 * included, which -fstack-usage cannot see (Debian builds them) — by running it on a painted stack of its own
 * (ucontext) and finding the deepest byte it changed. For each panel class (800×480 black/white and black/white/red)
 * and for 3 frame buffers and 1, it decodes a full frame, an XOR delta, a region delta, a frame for later and a
 * retransmission at MTU 4096, runs the timer that shows the held frame, builds every device message and verifies a
 * control message.
 *
 * Output, one line per entry point and class: `stack <entry> <class> <bytes>` (tools/footprint.ts reads it).
 */
#include "support.h"

#include <mbedtls/md.h>
#include <ucontext.h>

#define PROBE_STACK (256u * 1024u)
#define PAINT 0xA5

static unsigned char probe_stack[PROBE_STACK];
static ucontext_t caller, callee;
static void (*probe_fn)(void);

static void trampoline(void) {
  probe_fn();
}

/* Runs fn on the painted stack; returns the bytes of it that fn touched. */
static size_t measure(void (*fn)(void)) {
  size_t i;
  memset(probe_stack, PAINT, sizeof probe_stack);
  probe_fn = fn;
  getcontext(&callee);
  callee.uc_stack.ss_sp = probe_stack;
  callee.uc_stack.ss_size = sizeof probe_stack;
  callee.uc_link = &caller;
  makecontext(&callee, trampoline, 0);
  swapcontext(&caller, &callee);
  /* the stack grows down: the first changed byte from the bottom marks the deepest point */
  for (i = 0; i < sizeof probe_stack && probe_stack[i] == PAINT; i++) continue;
  return sizeof probe_stack - i;
}

static const uint8_t SECRET[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
#define NOW 1800000000000ull

static display x;
static transfer cur;
static wgw_result res;
static char msg[1024];
static size_t msg_len;
static uint8_t control[40];

/* a whole transfer, chunk by chunk: the deepest of all the feeds */
static void run_feed(void) {
  size_t i;
  for (i = 0; i < cur.count; i++) wgw_feed(&x.dev, cur.chunks[i].p, cur.chunks[i].n, NOW, &res);
}

static void run_init(void) {
  display_reboot(&x);
}

static void run_poll(void) {
  wgw_poll(&x.dev, NOW + 7200u * 1000u);
}

static void run_hello(void) {
  wgw_hello_info hi = {"wegweiser-c 1.1.0", "epd-7in5-bw", 2950};
  wgw_msg_hello(&x.dev, &hi, msg, sizeof msg, &msg_len);
}

static void run_checkin(void) {
  wgw_checkin_info ci = {{2950, -61, 215}, "timer", 2000, 600};
  wgw_msg_checkin(&x.dev, &ci, NOW, msg, sizeof msg, &msg_len);
}

static void run_telemetry(void) {
  wgw_telemetry t = {2950, -61, 215};
  wgw_msg_telemetry(&x.dev, &t, msg, sizeof msg, &msg_len);
}

static void run_ack(void) {
  wgw_msg_ack(&x.dev, &res, msg, sizeof msg, &msg_len);
}

static void run_nak(void) {
  wgw_result r;
  memset(&r, 0, sizeof r);
  r.status = WGW_NAK;
  r.reason = WGW_NAK_BAD_CRC;
  r.has_seq = 1;
  r.seq = 9;
  r.detail = "chunk CRC-32 mismatch";
  wgw_msg_nak(&x.dev, &r, msg, sizeof msg, &msg_len);
}

static wgw_control_status control_status;
static void run_control(void) {
  wgw_control c;
  control_status = wgw_control_verify(&x.dev, control, sizeof control, NOW + 100, &c);
}

static void run_password(void) {
  char pw[WGW_MQTT_PASSWORD_CHARS];
  wgw_mqtt_password(SECRET, pw);
}

static void report(const char *entry, const char *cls, size_t used, size_t *worst) {
  printf("stack %s %s %zu\n", entry, cls, used);
  if (used > *worst) *worst = used;
}

static int probe_class(const char *cls, uint8_t planes, unsigned slots) {
  frame a = frame_random(800, 480, planes, 1);
  frame b = frame_new(800, 480, planes);
  frame c = frame_new(800, 480, planes);
  frame later = frame_random(800, 480, planes, 2);
  encode_opts o;
  size_t i, worst_feed = 0, s;
  int ok = 1;
  if (display_new(&x, "ds-probe", SECRET, 800, 480, planes, slots) != WGW_OK) return 0;
  s = measure(run_init);
  report("wgw_init", cls, s, &s);

  memset(&o, 0, sizeof o);
  o.id = "ds-probe";
  o.secret = SECRET;
  o.mtu = 4096;
  /* full frame */
  o.seq = 1;
  o.encoding = 1;
  cur = encode(&a, &o);
  worst_feed = measure(run_feed);
  ok &= res.status == WGW_ACK;
  s = measure(run_ack);
  report("wgw_msg_ack", cls, s, &s);
  transfer_free(&cur);
  /* XOR delta: a line of text changed */
  memcpy(b.bytes, a.bytes, a.n);
  for (i = 20000; i < 21000; i++) b.bytes[i] ^= 0x18;
  if (planes == 2)
    for (i = 0; i < a.n / 2; i++) b.bytes[a.n / 2 + i] &= (uint8_t)~b.bytes[i];
  frame_rehash(&b);
  o.seq = 2;
  o.encoding = 2;
  o.base = &a;
  cur = encode(&b, &o);
  s = measure(run_feed);
  ok &= res.status == WGW_ACK;
  if (s > worst_feed) worst_feed = s;
  /* retransmission of it (rule R) */
  s = measure(run_feed);
  ok &= res.status == WGW_ACK && res.repeated;
  if (s > worst_feed) worst_feed = s;
  transfer_free(&cur);
  /* region content: an area turned white */
  memcpy(c.bytes, b.bytes, b.n);
  memset(c.bytes + 30000, 0, 5000);
  frame_rehash(&c);
  o.seq = 3;
  o.encoding = 3;
  o.base = &b;
  cur = encode(&c, &o);
  s = measure(run_feed);
  ok &= res.status == WGW_ACK;
  if (s > worst_feed) worst_feed = s;
  transfer_free(&cur);
  /* a frame for later, then the timer that shows it */
  o.seq = 4;
  o.encoding = 1;
  o.base = NULL;
  o.activate_at = (uint32_t)(NOW / 1000u) + 3600u;
  cur = encode(&later, &o);
  s = measure(run_feed);
  ok &= res.status == WGW_ACK && res.activate_at != 0;
  if (s > worst_feed) worst_feed = s;
  transfer_free(&cur);
  /* a refused transfer takes a buffer: with one, the held frame is read back at its second */
  {
    static const uint8_t other[32] = {9};
    o.seq = 5;
    o.secret = other;
    cur = encode(&a, &o);
    s = measure(run_feed);
    ok &= res.status == WGW_NAK;
    if (s > worst_feed) worst_feed = s;
    transfer_free(&cur);
    o.secret = SECRET;
  }
  report("wgw_feed", cls, worst_feed, &worst_feed);
  s = measure(run_poll);
  ok &= wgw_held_hash(&x.dev) == NULL;
  report("wgw_poll", cls, s, &s);

  s = measure(run_hello);
  report("wgw_msg_hello", cls, s, &s);
  s = measure(run_checkin);
  report("wgw_msg_checkin", cls, s, &s);
  s = measure(run_telemetry);
  report("wgw_msg_telemetry", cls, s, &s);
  s = measure(run_nak);
  report("wgw_msg_nak", cls, s, &s);
  {
    uint8_t mac[32];
    uint64_t t = NOW + 50, echo = NOW;
    for (i = 0; i < 8; i++) control[4 + i] = (uint8_t)(t >> (56 - 8 * i));
    put_be32(600, control + 12);
    for (i = 0; i < 8; i++) control[16 + i] = (uint8_t)(echo >> (56 - 8 * i));
    memcpy(control, "WGC1", 4);
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), SECRET, 32, control, 24, mac);
    memcpy(control + 24, mac, 16);
  }
  s = measure(run_control);
  ok &= control_status == WGW_CONTROL_OK;
  report("wgw_control_verify", cls, s, &s);
  s = measure(run_password);
  report("wgw_mqtt_password", cls, s, &s);
  printf("arena %s %zu\n", cls, wgw_inflate_arena_peak(&x.dev));
  frame_free(&a);
  frame_free(&b);
  frame_free(&c);
  frame_free(&later);
  display_free(&x);
  return ok;
}

int main(void) {
  /* with three frame buffers, and with one (deltas in place; the shown and held frames read back through the hooks) */
  int ok = probe_class("bw", 1, 3) & probe_class("bw", 1, 1) & probe_class("bwr", 2, 3) & probe_class("bwr", 2, 1);
  printf("sizeof wgw_device %zu\n", sizeof(wgw_device));
  printf("sizeof inflate_arena %u\n", (unsigned)WGW_INFLATE_ARENA_BYTES);
  printf("sizeof hmac %zu\n", sizeof(wgw_hmac));
  printf("sizeof z_stream %zu\n", sizeof(z_stream));
  if (!ok) fprintf(stderr, "a probe run did not decode as expected\n");
  return ok ? 0 : 1;
}

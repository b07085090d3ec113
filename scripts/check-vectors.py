#!/usr/bin/env python3
"""An independent check of docs/vectors/ with Python's hashlib, hmac and zlib only (no Wegweiser code): chunk and
header CRCs, header tags, the frames the accepted transfers decode to, device-message tags, control-message tags
and MQTT passwords. python3 scripts/check-vectors.py — exits 1 on the first mismatch."""
import base64, hashlib, hmac, json, os, sys, zlib

DIR = os.path.join(os.path.dirname(__file__), '..', 'docs', 'vectors')
load = lambda n: json.load(open(os.path.join(DIR, n)))
fails = 0

def check(ok, what):
    global fails
    if not ok:
        fails += 1
        print('MISMATCH', what)

def frame_hash(w, h, planes):
    return hashlib.sha256(w.to_bytes(2, 'big') + h.to_bytes(2, 'big') + bytes([len(planes)]) + b''.join(planes)).hexdigest()

for case in load('transfers.json')['cases']:
    key = bytes.fromhex(case['secret'])
    d = case['display']
    chunks = [bytes.fromhex(c) for c in case['chunks']]
    intact = lambda c: len(c) >= 14 and len(c) == 14 + int.from_bytes(c[8:10], 'big') and zlib.crc32(c[:-4]) == int.from_bytes(c[-4:], 'big')
    acks = [r for r in case['expect']['results'] if r['type'] == 'ack']
    check(len(acks) == 1, f"{case['name']}: one ack")
    # the acked transfer: its intact chunks, from its last chunk 0 on, each index once
    mine = [c for c in chunks if intact(c) and int.from_bytes(c[:4], 'big') == acks[0]['seq']]
    start = max(i for i, c in enumerate(mine) if c[4:6] == b'\0\0')
    parts = {}
    for c in mine[start:]:
        parts.setdefault(int.from_bytes(c[4:6], 'big'), c)
    check(sorted(parts) == list(range(int.from_bytes(mine[start][6:8], 'big'))), f"{case['name']}: every chunk of the acked transfer")
    stream = b''.join(parts[i][10:-4] for i in sorted(parts))
    hdr, payload = stream[:116], stream[116:]
    check(zlib.crc32(hdr[:112]) == int.from_bytes(hdr[112:], 'big'), f"{case['name']}: header CRC")
    check(hmac.new(key, hdr[:96] + payload, 'sha256').digest()[:16] == hdr[96:112], f"{case['name']}: header tag")
    enc, nplanes = hdr[5], hdr[6]
    x0, w, y0, h = (int.from_bytes(hdr[i:i + 2], 'big') for i in (24, 26, 28, 30))
    data = zlib.decompress(payload, -12)
    stride = (d['width'] + 7) // 8
    base = case['before']['shown']
    if enc == 1:
        planes = [bytearray(data[i * stride * d['height']:(i + 1) * stride * d['height']]) for i in range(nplanes)]
    else:
        # the base named in the header (a retransmission's base is the encoder's, not what is on screen)
        src = case['encoder']['base'] if case.get('encoder') else None
        if src is None:
            src = base
            if case['name'] == 'retransmitted-delta':
                continue  # rule R: not applied; the base is gone
        planes = [bytearray.fromhex(p) for p in src['planes']]
        k = 0
        for p in planes:
            for y in range(y0, y0 + h):
                for xx in range(x0, x0 + w):
                    v = data[k]; k += 1
                    p[y * stride + xx] = (p[y * stride + xx] ^ v) if enc == 2 else v
    got = frame_hash(d['width'], d['height'], planes)
    check(got[:32] == hdr[64:80].hex(), f"{case['name']}: frame hash prefix")
    check(acks[0]['hash'] == got, f"{case['name']}: decoded frame is the acked one")

dm = load('device-messages.json')
key = bytes.fromhex(dm['secret'])
for m in dm['messages']:
    p = m['payload'].encode()
    z = p[:-34] + b'0' * 32 + p[-2:]
    tag = hmac.new(key, b'WGM1' + m['leaf'].encode() + b'\0' + z, 'sha256').digest()[:16].hex()
    check(tag == m['tag'] and p.endswith(('"tag":"%s"}' % tag).encode()) and z.decode() == m['zeroed'], f"message {m['name']}")
    body = json.loads(p)
    check(list(body)[-2:] == ['ctr', 'tag'] and body['ctr'] == m['ctr'], f"message {m['name']}: ctr, tag last")
for m in dm['refused']:
    p = m['payload'].encode()
    tagged = len(p) >= 41 and p[-41:-34] == b'"tag":"' and p[-2:] == b'"}' and all(ch in b'0123456789abcdef' for ch in p[-34:-2])
    if not tagged:
        check(m['expect'] == 'untagged', f"refused {m['name']}")
        continue
    z = p[:-34] + b'0' * 32 + p[-2:]
    good = hmac.new(key, b'WGM1' + m['leaf'].encode() + b'\0' + z, 'sha256').digest()[:16].hex() == p[-34:-2].decode()
    check(m['expect'] == ('tagged' if good else 'bad-tag'), f"refused {m['name']}")

ctl = load('control.json')
key = bytes.fromhex(ctl['secret'])
for c in ctl['cases']:
    b = bytes.fromhex(c['message'])
    ok = len(b) == 40 and b[:4] == b'WGC1' and hmac.new(key, b[:24], 'sha256').digest()[:16] == b[24:]
    if ok:
        f = c['fields']
        ok = int.from_bytes(b[4:12], 'big') == f['time'] and int.from_bytes(b[16:24], 'big') == f['echo']
        rtt = c['display']['nowMs'] - f['echo']
        ok = ok and f['echo'] == c['display']['lastCheckInTime'] and 0 <= rtt <= 30000
        if ok:
            check(c['expect']['clockAfterMs'] == f['time'] + rtt / 2 and c['expect']['checkInSeconds'] == int.from_bytes(b[12:16], 'big'), f"control {c['name']}: clock")
    check(ok == c['expect']['accepted'], f"control {c['name']}")

for c in load('mqtt-password.json')['cases']:
    mac = hmac.new(bytes.fromhex(c['secret']), b'wegweiser mqtt password v1', 'sha256').digest()
    check(base64.urlsafe_b64encode(mac).rstrip(b'=').decode() == c['password'] and len(c['password']) == 43, 'mqtt password')

if fails:
    sys.exit(1)
print('docs/vectors: every check passed (Python, independent of the TypeScript code)')

import { describe, expect, it } from 'vitest';
import { escapeXml, stripControl, singleLine, hasControl } from '../../renderer/escape.js';
import { layout, renderSign, RenderError, PANELS } from '../../renderer/index.js';
import type { DoorSignContent } from '../../renderer/content.js';

const base: DoorSignContent = {
  kind: 'door',
  roomNumber: '2.14',
  roomName: 'Aufenthalt',
  unit: 'Ausländerbehörde',
  occupants: [{ name: 'Jürgen Weiß', title: 'Sachbearbeiter' }],
  services: [{ de: 'Aufenthaltstitel verlängern', en: 'Extend residence permit' }],
  officeHours: 'Mo–Fr 8–12 Uhr',
  notice: null,
};

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });
  it('strips control characters but keeps umlauts, ß and newlines out of the way', () => {
    expect(stripControl('Stra\u0001ße\u0007\u009b')).toBe('Straße');
    expect(hasControl('ok\n')).toBe(false);
    expect(hasControl('bad\u0000')).toBe(true);
    expect(singleLine('  a\n\tb  ')).toBe('a b');
  });
});

describe('hostile text on a sign', () => {
  const hostile = [
    '</text><image href="file:///etc/passwd" width="800" height="480"/><text>',
    '<span foreground="red">Pango</span> <b>markup</b>',
    '&amp; &lt; & < > " \' &#x41; &unknown;',
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;',
    'ctrl\u0000\u0001\u0008\u001b[31m\u007f\u0085end',
  ];
  for (const text of hostile) {
    it(`renders ${JSON.stringify(text.slice(0, 30))} as text`, async () => {
      const content = { ...base, roomName: text, notice: { text, redirect: { number: text.slice(0, 10), name: text } } };
      const { svg } = layout(content, PANELS['epd-7in5-bw']);
      expect(svg).not.toMatch(/<image|<span|<b>|<!DOCTYPE|<!ENTITY/);
      // eslint-disable-next-line no-control-regex
      expect(svg).not.toMatch(/[\u0000-\u0008\u001b\u007f-\u009f]/);
      const r = await renderSign(content, PANELS['epd-7in5-bw']);
      expect(r.frame.planes[0]?.length).toBe(100 * 480);
    });
  }

  it('a 5,000-character notice renders, shortened, and says so', async () => {
    const text = 'Wegen Umbauarbeiten geschlossen. '.repeat(152).slice(0, 5000);
    const r = await renderSign({ ...base, notice: { text, redirect: null } }, PANELS['epd-7in5-bw']);
    expect(r.warnings.some((w) => w.startsWith('notice'))).toBe(true);
  });

  it('refuses characters the bundled fonts cannot draw instead of drawing tofu', () => {
    expect(() => layout({ ...base, roomName: 'Raum 漢字' }, PANELS['epd-7in5-bw'])).toThrow(RenderError);
    expect(() => layout({ ...base, roomName: 'Raum \uE000' }, PANELS['epd-7in5-bw'])).toThrow(/U\+E000/);
  });
});

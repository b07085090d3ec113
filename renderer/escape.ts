// User text never becomes markup: every string placed in an SVG goes through here.
// librsvg throws on an unescaped `&` or a control character, and an unescaped `<` would let a room name inject
// elements (<image href="file:…">), so we strip controls and escape the five XML specials.

// C0 controls except tab/newline, DEL, C1 controls, lone surrogates are impossible in JS strings from JSON parse
// but U+FFFE/U+FFFF and other XML-illegal code points are removed too.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_TEST = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/;

export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}

export function hasControl(text: string): boolean {
  return CONTROL_TEST.test(text);
}

export function escapeXml(text: string): string {
  return stripControl(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Collapses runs of whitespace (tabs, newlines too) into one space and trims. */
export function singleLine(text: string): string {
  return stripControl(text).replace(/\s+/gu, ' ').trim();
}

// QR codes drawn as pixel-aligned squares (crisp on a 1-bit panel): one path, one run of dark modules per subpath.
import QRCode from 'qrcode';

export interface QrPlacement {
  svg: string;
  /** side length in pixels, quiet zone included */
  size: number;
}

/** The QR symbol for `text`, `module` pixels per module, with a quiet zone of `quiet` modules, top-left at (x, y). */
export function qrSvg(text: string, x: number, y: number, module: number, quiet = 2): QrPlacement {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const d: string[] = [];
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && modules.get(row, col)) col++;
      d.push(`M${x + (start + quiet) * module} ${y + (row + quiet) * module}h${(col - start) * module}v${module}h${-(col - start) * module}z`);
    }
  }
  const size = (n + 2 * quiet) * module;
  return { svg: `<rect x="${x}" y="${y}" width="${size}" height="${size}" fill="#fff"/><path d="${d.join('')}" fill="#000"/>`, size };
}

/** How many modules a side the symbol for `text` has. */
export function qrModules(text: string): number {
  return QRCode.create(text, { errorCorrectionLevel: 'M' }).modules.size;
}

import encodeQR from 'qr';
import { type Html, html, raw } from './html.ts';

/** The quiet zone scanners need around the code, in modules (ISO/IEC 18004 asks for 4). */
const QUIET_ZONE = 4;

/**
 * A QR code as inline SVG, made on the server (no script, nothing fetched): dark modules on a
 * white quiet zone, which scanners need whatever the page's colour scheme. `qr` encodes (error
 * correction M, the mask chosen by the standard's penalty rules); the markup is one path of
 * the dark runs of each row, written here from the module matrix alone, so nothing of `text`
 * appears in it as markup. The label is escaped like every other value.
 */
export function qrCodeSvg(text: string, label: string): Html {
  const modules = encodeQR(text, 'raw', { ecc: 'medium', border: QUIET_ZONE });
  const size = modules.length;
  // One stroke per run of dark modules: `M x y+.5 h n` starts a row, `m gap 0 h n` goes on.
  let path = '';
  modules.forEach((row, y) => {
    let end = -1;
    let x = 0;
    while (x < size) {
      if (!row[x]) {
        x += 1;
        continue;
      }
      const start = x;
      while (x < size && row[x]) x += 1;
      path += end < 0 ? `M${start} ${y + 0.5}h${x - start}` : `m${start - end} 0h${x - start}`;
      end = x;
    }
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges"><path fill="#fff" d="M0 0h${size}v${size}H0z"/><path stroke="#000" d="${path}"/></svg>`;
  // One image with a label for assistive technology (its children are presentational).
  return html`<div class="qr" role="img" aria-label="${label}">${raw(svg)}</div>`;
}

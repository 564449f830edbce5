import QRCode from 'qrcode';
import { type Html, html, raw } from './html.ts';

/**
 * A QR code as inline SVG, made on the server (no script, nothing fetched): dark modules on a
 * white quiet zone of four modules, which scanners need whatever the page's colour scheme.
 * The `qrcode` package writes the markup from the text's bits alone (paths of modules), so
 * nothing of `text` appears in it as markup; the label is escaped like every other value.
 */
export async function qrCodeSvg(text: string, label: string): Promise<Html> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  if (!svg.startsWith('<svg')) throw new Error('the QR code renderer did not answer SVG');
  // One image with a label for assistive technology (its children are presentational).
  return html`<div class="qr" role="img" aria-label="${label}">${raw(svg)}</div>`;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsQRModule from 'jsqr';
import { qrCodeSvg } from './qr-code.ts';

// jsqr is CommonJS: Node's default import is its module.exports, whose `default` is the decoder.
const jsQR = jsQRModule.default;
const SCALE = 4;

/** The dark modules the SVG draws: its one stroke path read back run by run. */
function modulesOf(svg: string): { size: number; dark: boolean[][] } {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  const d = /<path stroke="#000" d="([^"]*)"/.exec(svg)?.[1] ?? '';
  const dark = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  let x = 0;
  let y = 0;
  for (const [, command, a, b] of d.matchAll(/([Mmh])([\d.]+)(?: ([\d.]+))?/g)) {
    if (command === 'M') [x, y] = [Number(a), Number(b) - 0.5];
    else if (command === 'm') x += Number(a);
    else {
      for (let i = 0; i < Number(a); i++) dark[y]![x + i] = true;
      x += Number(a);
    }
  }
  return { size, dark };
}

/** What a camera would see: the modules as RGBA pixels, SCALE pixels a module. */
function decode(svg: string): string | null {
  const { size, dark } = modulesOf(svg);
  const width = size * SCALE;
  const pixels = new Uint8ClampedArray(width * width * 4);
  for (let py = 0; py < width; py++) {
    for (let px = 0; px < width; px++) {
      const value = dark[Math.floor(py / SCALE)]![Math.floor(px / SCALE)] ? 0 : 255;
      pixels.set([value, value, value, 255], (py * width + px) * 4);
    }
  }
  return jsQR(pixels, width, width)?.data ?? null;
}

describe('qrCodeSvg', () => {
  it('draws a code that decodes to the same otpauth URI, with a quiet zone of 4 modules', () => {
    for (const secret of ['JBSWY3DPEHPK3PXP', '6OHZPLJZEAA37P56AEN5LKBBXV2RAMJP']) {
      const uri = `otpauth://totp/Gatehouse:ada%40example.com?secret=${secret}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30`;
      const svg = String(qrCodeSvg(uri, 'QR code'));
      assert.equal(decode(svg), uri);
      const { size, dark } = modulesOf(svg);
      for (const edge of [0, 1, 2, 3, size - 4, size - 3, size - 2, size - 1]) {
        assert.equal(dark[edge]!.some(Boolean), false, `row ${edge} is quiet`);
        assert.equal(
          dark.some((row) => row[edge]),
          false,
          `column ${edge} is quiet`,
        );
      }
    }
  });

  it('is one labelled image, the text nowhere in the markup', () => {
    const uri = 'otpauth://totp/x%3Cscript%3E?secret=JBSWY3DPEHPK3PXP&issuer=%22%3E%3Cimg';
    const markup = String(qrCodeSvg(uri, 'Scan "this" <code>'));
    assert.match(markup, /^<div class="qr" role="img" aria-label="Scan &quot;this&quot; &lt;code&gt;"><svg /);
    assert.equal(markup.includes('JBSWY3DPEHPK3PXP'), false);
    assert.doesNotMatch(markup, /<script|<img|\son[a-z]+=|style=/i);
  });
});

import { createHash } from 'node:crypto';

/**
 * The one stylesheet of the hosted pages: CSS variables, light and dark by the system's
 * preference. It is served as a file under the pages' base path (`style-src 'self'` in the CSP);
 * its name carries a hash of the content, so it can be cached forever. Brand colours are set by
 * an inline `<style>` with the response's nonce that overrides `--accent` (see layout.ts).
 * Colours were chosen for WCAG AA contrast (4.5:1 for text) on both backgrounds.
 */
export const STYLESHEET = `:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1b1f24;--muted:#4b5563;--border:#c9ced6;--accent:#1f5fd1;--on-accent:#fff;--error:#b42318;--error-bg:#fdecea;--ok-bg:#e8f5ec;--ok:#18632f;--focus:#1f5fd1;--radius:8px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--card:#181c22;--text:#e8eaed;--muted:#b4bac3;--border:#434a55;--accent:#7fb0ff;--on-accent:#0b1220;--error:#ff9b8f;--error-bg:#3a1714;--ok-bg:#12301c;--ok:#8fe0a8;--focus:#7fb0ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);display:flex;flex-direction:column;align-items:center;min-height:100vh;padding:2rem 1rem}
main{width:100%;max-width:26rem;background:var(--card);border:1px solid var(--border);border-radius:var(--radius);padding:2rem}
.brand{display:flex;align-items:center;gap:.75rem;margin:0 0 1rem;color:var(--muted);font-weight:600}
.brand img{max-height:2.5rem;max-width:8rem}
h1{font-size:1.5rem;margin:0 0 1rem;line-height:1.25}
p{margin:0 0 1rem}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
form{margin:0 0 1rem}
.field{margin:0 0 1rem}
label{display:block;font-weight:600;margin:0 0 .25rem}
.hint{display:block;color:var(--muted);font-size:.875rem;margin:0 0 .25rem}
input[type=email],input[type=password],input[type=text]{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid var(--muted);border-radius:var(--radius);background:var(--card);color:var(--text)}
input[aria-invalid=true]{border:2px solid var(--error)}
.check{display:flex;gap:.5rem;align-items:center;margin:0 0 1rem}
.check label{font-weight:400;margin:0}
.check input{width:1.1rem;height:1.1rem}
button,.button{display:inline-block;width:100%;font:inherit;font-weight:600;text-align:center;text-decoration:none;padding:.7rem 1rem;border:0;border-radius:var(--radius);background:var(--accent);color:var(--on-accent);cursor:pointer}
.button.secondary,button.secondary{background:transparent;color:var(--accent);border:1px solid var(--accent)}
.field-error{display:block;color:var(--error);font-weight:600;margin:0 0 .25rem}
.summary{border:2px solid var(--error);background:var(--error-bg);border-radius:var(--radius);padding:1rem;margin:0 0 1rem}
.summary h2{font-size:1.1rem;margin:0 0 .5rem}
.summary ul{margin:0;padding-left:1.2rem}
.summary a{color:var(--error);font-weight:600}
.notice{border-left:4px solid var(--ok);background:var(--ok-bg);padding:.75rem 1rem;margin:0 0 1rem}
.links{list-style:none;padding:0;margin:1rem 0 0}
.links li{margin:.25rem 0}
.providers{display:grid;gap:.5rem;margin:0 0 1rem}
.divider{color:var(--muted);text-align:center;margin:1rem 0}
footer{margin-top:1.5rem;color:var(--muted);font-size:.875rem}
footer ul{list-style:none;display:flex;gap:1rem;padding:0;margin:0}
footer a{color:var(--muted)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.sections,.items{list-style:none;padding:0;margin:0 0 1rem}
.sections li{margin:.25rem 0}
.items li{border:1px solid var(--border);border-radius:var(--radius);padding:1rem;margin:0 0 .75rem}
.items form{margin:0}
.item-title{font-weight:600;margin:0 0 .25rem}
.item-meta{color:var(--muted);font-size:.875rem;margin:0 0 .75rem}
.badge{color:var(--ok);font-size:.875rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
code,.secret{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.secret{display:block;overflow-wrap:anywhere;padding:.5rem .7rem;border:1px solid var(--border);border-radius:var(--radius)}
.qr{background:#fff;width:12rem;max-width:100%;padding:.25rem;margin:0 0 1rem;border-radius:var(--radius)}
.qr svg{display:block;width:100%;height:auto}
.steps{padding-left:1.2rem}
.codes{columns:2;font-size:1.05rem;padding-left:1.6rem}
fieldset{border:0;padding:0}
legend{font-weight:600;padding:0;margin:0 0 .25rem}
select{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid var(--muted);border-radius:var(--radius);background:var(--card);color:var(--text)}
select:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
button+.hint,button[hidden]+.hint{margin-top:.5rem}
`;

/** The stylesheet's file name: its content's hash, so a changed sheet is a new URL. */
export const STYLESHEET_FILE = `gatehouse-${createHash('sha256').update(STYLESHEET).digest('hex').slice(0, 12)}.css`;

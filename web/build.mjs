// Builds web/dist from web/src: one JS and one CSS bundle (esbuild, minified, names carrying
// a content hash so the server can let browsers cache them for good) and index.html pointing
// at them. The output is deterministic: `node build.mjs --check` rebuilds into a temporary
// directory and fails if the committed web/dist differs.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const check = process.argv.includes('--check');
const out = check ? fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ui-')) : path.join(here, 'dist');

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'static'), { recursive: true });
const result = await esbuild.build({
  entryPoints: [path.join(here, 'src/main.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: path.join(out, 'static'),
  entryNames: 'app-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((p) => path.basename(p));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
const html = fs
  .readFileSync(path.join(here, 'src/index.html'), 'utf8')
  .replaceAll('{{APP_JS}}', js)
  .replaceAll('{{APP_CSS}}', css);
fs.writeFileSync(path.join(out, 'index.html'), html);

if (check) {
  const list = (dir) => fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
  const committed = path.join(here, 'dist');
  const a = list(out), b = fs.existsSync(committed) ? list(committed) : [];
  const same = a.length === b.length && a.every((f, i) => f === b[i] &&
    fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(committed, f))));
  fs.rmSync(out, { recursive: true, force: true });
  if (!same) {
    console.error('web/dist is not what web/src builds to: run scripts/build-ui.sh and commit web/dist');
    process.exit(1);
  }
  console.log('web/dist is up to date');
} else {
  console.log(`built ${path.relative(process.cwd(), out)}: index.html, static/${js}, static/${css}`);
}

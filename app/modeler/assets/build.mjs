// Bundles the modeler's pages into app/static/vendor/modeler (git-ignored) with esbuild; `make install` runs it.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const out = join(root, 'app', 'static', 'vendor', 'modeler');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { modeler: join(here, 'modeler.js'), diff: join(here, 'diff.js'), viewer: join(here, 'viewer.js'),
    'modeler-styles': join(here, 'styles.css') },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'iife',
  target: ['es2020'],
  outdir: out,
  loader: { '.js': 'jsx', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  jsx: 'automatic',
  jsxImportSource: '@bpmn-io/properties-panel/preact',
  logLevel: 'warning',
  legalComments: 'linked'
});

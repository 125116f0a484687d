// Builds the page into dist/: one bundled script (ECharts included, no CDN at run time),
// one stylesheet and index.html. Usage: node build.mjs [--dev] (dev = no minification).
import { build } from 'esbuild';
import { mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const dev = process.argv.includes('--dev');

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });
await build({
  entryPoints: { app: join(root, 'src/main.ts') },
  outdir: join(dist, 'assets'),
  bundle: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(join(root, 'index.html'), join(dist, 'index.html'));
console.log(`web: built ${dist}`);

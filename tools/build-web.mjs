// tools/build-web's work: stages the npm package (npm/pack.mjs copies the
// wasm, glue and weights in), then writes build/web/:
//   web/'s files, pkg/ (the package's browser files), and sw.js with the
//   site's version and file list filled in (the service worker's precache).
// Module workers do not see the page's import map, so pkg/index.mjs gets the
// browser variant of the package's '#assets' import written in: the one
// rewrite a bundler would make.
//   ANOMALENS_WASM_BUILD  the Emscripten build folder (default build-wasm/)
//   ANOMALENS_WEB_OUT     the output folder (default build/web/)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.env.ANOMALENS_WEB_OUT || join(repo, 'build', 'web'));
const web = join(repo, 'web');
const npm = join(repo, 'npm');

const staged = spawnSync(process.execPath, [join(npm, 'pack.mjs')], { stdio: 'inherit', env: process.env });
if (staged.status !== 0) process.exit(staged.status ?? 1);

// Built beside the output, then swapped in: a test serving the old site
// never sees half a site.
const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(join(tmp, 'pkg'), { recursive: true });
const siteFiles = readdirSync(web).filter((name) => /\.(html|css|mjs|js|svg|png)$/.test(name));
for (const name of siteFiles) cpSync(join(web, name), join(tmp, name));
const packageFiles = ['assets-browser.mjs', 'lookout-handler.mjs', 'anomalens_wasm.mjs', 'anomalens_wasm.wasm', 'mobilenet_v2_block10.anwb',
                      'NOTICE.md', 'LICENSE-nsfwjs'];
for (const name of packageFiles) cpSync(join(npm, name), join(tmp, 'pkg', name));
const index = readFileSync(join(npm, 'index.mjs'), 'utf8');
if (!index.includes("from '#assets'")) throw new Error("npm/index.mjs no longer imports '#assets'; update tools/build-web.mjs");
writeFileSync(join(tmp, 'pkg', 'index.mjs'), index.replace("from '#assets'", "from './assets-browser.mjs'"));

// The service worker's precache: every file but itself, and './' for the page.
const precache = ['./', ...siteFiles.filter((n) => n !== 'sw.js'),
                  ...['index.mjs', ...packageFiles].map((n) => `pkg/${n}`)];
const hash = createHash('sha256');
for (const path of precache.slice(1)) hash.update(path).update(readFileSync(join(tmp, path)));
const version = hash.digest('hex').slice(0, 16);
const sw = readFileSync(join(web, 'sw.js'), 'utf8');
if (!sw.includes("const VERSION = 'dev';") || !sw.includes('const PRECACHE = [];')) {
  throw new Error('web/sw.js lacks the VERSION and PRECACHE lines tools/build-web.mjs fills in');
}
writeFileSync(join(tmp, 'sw.js'), sw.replace("const VERSION = 'dev';", `const VERSION = '${version}';`)
  .replace('const PRECACHE = [];', `const PRECACHE = ${JSON.stringify(precache)};`));

rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
console.log(`build-web: ok (${out}, version ${version})`);

// The layers of the C++ code, read from the tree itself: every folder of
// core/ and native/ (and wasm/) is a part; its README.md's `May include:`
// line lists the parts its files may include (`core` alone means every core
// part; a part may always include itself). checkLayers() reports every
// include outside that line, every cycle between parts, every core include of
// a platform header, and every part without its README line.
// tests/js/layering.test.mjs runs it in `tools/test`; tools/draw-architecture
// draws the same graph (docs/architecture.png).
//
//   import { checkLayers } from './layers.mjs';
//   const { problems, parts, edges } = checkLayers(repoRoot);
import fs from 'node:fs';
import path from 'node:path';

// The top folders whose C++ is layered. tests/, bench/ and tools/ may use any part.
const LAYERED_ROOTS = ['core', 'native', 'wasm'];

// Headers that would give the portable core I/O, threads, a clock or a
// platform: the core takes bytes and hooks instead (core/README.md).
const PLATFORM_HEADERS = [
  'thread', 'mutex', 'shared_mutex', 'condition_variable', 'future', 'atomic', 'chrono', 'ctime',
  'fstream', 'iostream', 'filesystem', 'csignal', 'unistd.h', 'pthread.h', 'windows.h', 'dlfcn.h',
  'fcntl.h', 'xnnpack.h', 'pthreadpool.h', 'emscripten.h', 'httplib.h', 'sqlite3.h',
];

// A file's part: core/model/trainer.cc -> core/model; core/backbone/kernels/x.h
// -> core/backbone (a subfolder belongs to its part); native/main.cc -> native.
export function partOf(relPath) {
  const parts = relPath.split('/');
  if (parts[0] === 'wasm') return 'wasm';
  if (parts.length <= 2) return parts[0];
  return `${parts[0]}/${parts[1]}`;
}

function listSources(root, dir, out = []) {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) listSources(root, rel, out);
    else if (/\.(cc|h)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

// The part's README line, e.g. "May include: core/base, core/image" -> ['core/base', 'core/image'].
// Returns null when the README or the line is missing.
export function allowedIncludes(root, part) {
  const readme = path.join(root, part, 'README.md');
  if (!fs.existsSync(readme)) return null;
  const line = fs.readFileSync(readme, 'utf8').split('\n').find((l) => l.startsWith('May include:'));
  if (line === undefined) return null;
  return line.slice('May include:'.length).split(',').map((s) => s.trim()).filter((s) => /^[a-z]/.test(s));
}

function mayInclude(allowed, from, to) {
  if (to === from) return true;
  return allowed.some((a) => a === to || (a === 'core' && to.startsWith('core/')));
}

// Cycles among parts, each as a list of parts (the first repeated at the end).
export function findCycles(parts, edges) {
  const next = new Map(parts.map((p) => [p, []]));
  for (const e of edges) if (e.from !== e.to) next.get(e.from)?.push(e.to);
  const cycles = [];
  const state = new Map();  // 1 on the stack, 2 done
  const stack = [];
  const visit = (p) => {
    state.set(p, 1);
    stack.push(p);
    for (const q of new Set(next.get(p) ?? [])) {
      if (state.get(q) === 1) cycles.push([...stack.slice(stack.indexOf(q)), q]);
      else if (!state.has(q)) visit(q);
    }
    stack.pop();
    state.set(p, 2);
  };
  for (const p of parts) if (!state.has(p)) visit(p);
  return cycles;
}

export function checkLayers(root) {
  const problems = [];
  const files = LAYERED_ROOTS.filter((r) => fs.existsSync(path.join(root, r))).flatMap((r) => listSources(root, r));
  const parts = [...new Set(files.map(partOf))].sort();
  const allowed = new Map();
  for (const part of parts) {
    const a = allowedIncludes(root, part);
    if (a === null) problems.push(`${part}: no "May include:" line in ${part}/README.md`);
    allowed.set(part, a ?? []);
  }
  const edgeCounts = new Map();
  for (const file of files) {
    const from = partOf(file);
    const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const local = /^\s*#\s*include\s+"((core|native|wasm)\/[^"]+)"/.exec(text);
      if (local) {
        const to = partOf(local[1]);
        if (!mayInclude(allowed.get(from), from, to)) {
          problems.push(`${file}:${i + 1}: ${from} may not include ${local[1]} (${to}); ` +
                        `${from}/README.md allows: ${allowed.get(from).join(', ') || 'nothing outside itself'}`);
        }
        if (to !== from) {
          const key = `${from}\t${to}`;
          edgeCounts.set(key, (edgeCounts.get(key) ?? 0) + 1);
        }
      }
      const system = /^\s*#\s*include\s+<([^>]+)>/.exec(text);
      if (system && from.startsWith('core/') &&
          (PLATFORM_HEADERS.includes(system[1]) || system[1].startsWith('sys/'))) {
        problems.push(`${file}:${i + 1}: the portable core may not include <${system[1]}> (I/O, threads, ` +
                      'the clock and platforms live in native/ and wasm/)');
      }
    });
  }
  const edges = [...edgeCounts].map(([key, count]) => {
    const [from, to] = key.split('\t');
    return { from, to, count };
  }).sort((a, b) => (a.from + a.to).localeCompare(b.from + b.to));
  for (const cycle of findCycles(parts, edges)) problems.push(`cycle between parts: ${cycle.join(' -> ')}`);
  return { problems, parts, edges };
}

// The graph in Graphviz's DOT language, one cluster per top folder, arrows
// from the including part to the included one (so they point down).
export function toDot({ parts, edges }) {
  const id = (p) => `"${p}"`;
  // A folder's name; the files at a top folder's root by what they are.
  const label = (p) => (p.includes('/') ? p.split('/')[1] : { native: 'main.cc', wasm: 'bindings' }[p] ?? p);
  const groups = new Map();
  for (const p of parts) {
    const top = p.split('/')[0];
    if (!groups.has(top)) groups.set(top, []);
    groups.get(top).push(p);
  }
  const out = ['// Generated by tools/draw-architecture from the includes; do not edit.',
               'digraph anomalens {', '  rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", ' +
               'fontname="Helvetica"]; edge [color="#555555"];'];
  for (const [top, members] of groups) {
    out.push(`  subgraph "cluster_${top}" { label="${top}/"; fontname="Helvetica"; color="#999999";`);
    for (const p of members) out.push(`    ${id(p)} [label="${label(p)}"];`);
    out.push('  }');
  }
  for (const e of edges) out.push(`  ${id(e.from)} -> ${id(e.to)} [tooltip="${e.count} includes"];`);
  out.push('}');
  return out.join('\n') + '\n';
}

/**
 * Dependencies in agent/ point one way: no module imports itself back through others (a cycle),
 * and nothing outside agent/cli/ imports the CLI (the CLI parses options and prints; the agent,
 * the doctor and the installer are below it). Type-only imports are erased by the compiler and
 * do not count.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('agent');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+'(\.[^']+)'/gms;

/** The relative modules a file loads at run time (`import type` and all-`type` braces left out). */
function runtimeImports(file: string, src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(IMPORT)) {
    const names = m[1]!.trim();
    const braces = /^\{([^}]*)\}$/s.exec(names);
    if (braces && braces[1]!.split(',').map((x) => x.trim()).filter(Boolean).every((x) => x.startsWith('type '))) continue;
    out.push(resolve(dirname(file), m[2]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** Every cycle found by a depth-first walk, as `a.ts → b.ts → a.ts`. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(ROOT, x)).join(' → '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return found;
}

const graph = new Map(tsFiles(ROOT).map((f) => [f, runtimeImports(f, readFileSync(f, 'utf8'))]));

describe('imports in agent/', () => {
  it('finds the imports it is meant to find (and a cycle when there is one)', () => {
    const src = "import { a } from './a.js';\nimport type { B } from './b.js';\nimport { type C, type D } from './c.js';\nimport {\n  e,\n  type F,\n} from '../e.js';\nexport { g } from './g.js';\nimport x from 'node:fs';\n";
    expect(runtimeImports('/r/m/x.ts', src)).toEqual(['/r/m/a.ts', '/r/e.ts', '/r/m/g.ts']);
    const g = new Map([
      [join(ROOT, 'a.ts'), [join(ROOT, 'b.ts')]],
      [join(ROOT, 'b.ts'), [join(ROOT, 'c.ts')]],
      [join(ROOT, 'c.ts'), [join(ROOT, 'a.ts')]],
    ]);
    expect(cycles(g)).toEqual(['a.ts → b.ts → c.ts → a.ts']);
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get(join(ROOT, 'cli', 'main.ts'))).toContain(join(ROOT, 'cli', 'program.ts'));
  });

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has nothing outside cli/ importing the CLI', () => {
    const cli = join(ROOT, 'cli') + '/';
    const wrong = [...graph].flatMap(([f, deps]) => (f.startsWith(cli) ? [] : deps.filter((d) => d.startsWith(cli)).map((d) => `${relative(ROOT, f)} → ${relative(ROOT, d)}`)));
    expect(wrong).toEqual([]);
  });
});

/** The packages and builtins a file imports at run time (`import type` left out). */
function packageImports(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+'([^.'][^']*)'/gms)) {
    const braces = /^\{([^}]*)\}$/s.exec(m[1]!.trim());
    if (braces && braces[1]!.split(',').map((x) => x.trim()).filter(Boolean).every((x) => x.startsWith('type '))) continue;
    out.push(m[2]!);
  }
  return out;
}

/** Every module a command loads before it runs (static imports from cli/main.ts and its own module). */
function loadedBy(entries: readonly string[]): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const todo = entries.map((e) => join(ROOT, e));
  while (todo.length) {
    const f = todo.pop()!;
    if (modules.has(f) || !graph.has(f)) continue;
    modules.add(f);
    todo.push(...graph.get(f)!);
  }
  const packages = new Set([...modules].flatMap((f) => packageImports(readFileSync(f, 'utf8'))));
  return { modules, packages };
}

describe('what a command loads at start (docs/performance.md, "Start-up and idle memory")', () => {
  it('finds the packages a file imports', () => {
    expect(packageImports("import { a } from 'node:fs';\nimport type { B } from 'winston';\nimport { type C } from 'x';\nimport y from './y.js';\nimport { z } from 'commander';\n")).toEqual(['node:fs', 'commander']);
  });

  it('replay: no node:crypto (ids are hashed when made), no child processes, no json-rules-engine, no logger', () => {
    const { packages } = loadedBy(['cli/main.ts', 'cli/program.ts', 'cli/replay.ts']);
    expect(packages.has('commander')).toBe(true);
    for (const p of ['node:crypto', 'node:child_process', 'json-rules-engine', 'winston']) expect(packages.has(p), p).toBe(false);
  });

  it('run: no json-rules-engine and, with --no-notify, no notifier (run.ts imports it when notifications are on)', () => {
    const { modules, packages } = loadedBy(['cli/main.ts', 'cli/program.ts', 'cli/run.ts', 'agent.ts']);
    expect(modules.has(join(ROOT, 'sources', 'adapters.ts'))).toBe(true);
    expect(packages.has('winston')).toBe(true); // the agent's log (the design names it)
    for (const p of ['json-rules-engine', 'node-notifier']) expect(packages.has(p), p).toBe(false);
    for (const m of ['platform/notifier.ts', 'sinks/desktop.ts', 'sinks/toast.ts']) expect(modules.has(join(ROOT, m)), m).toBe(false);
  });
});

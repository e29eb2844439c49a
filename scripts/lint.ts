/**
 * `npm run lint`, the part `tsc` does not check: style, captions and the layers of the imports.
 *
 * Over every source file of the project (src, workers, bench, scripts, test; .ts, .mts, .mjs):
 *   - lines at most MAX_WIDTH characters, no trailing whitespace, no tab, a newline at the end;
 *   - string literals in single quotes (double quotes only around a text that holds one);
 *   - a caption: the file opens (after a #! line, if any) with a `/**` comment whose first line
 *     says what the file is for;
 *   - imports that run down the layers only, and no import cycle (see LAYERS).
 * Prints one line per problem, `path:line: problem`, and exits 1 if there is any.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { plural } from '../src/report/format.js';

/** The longest line allowed, in characters. */
const MAX_WIDTH = 120;
const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FOLDERS = ['src', 'workers', 'bench', 'scripts', 'test'];
const EXTENSIONS = ['.ts', '.mts', '.mjs'];

/**
 * The layers, lowest first: a file may import from its own group or from a group on a lower
 * layer, never from a higher one nor from another group on its own layer. The library (sync,
 * ring) knows nothing of the emulator; the protocol that workers and the main thread share sits
 * on it; workers and reports each use only what is below them; the main thread runs workers by
 * file name, never by import; command lines and entry points come last. Tests may import
 * anything.
 */
const LAYERS: readonly { group: string; prefix: string; layer: number }[] = [
  { group: 'sync', prefix: 'src/sync/', layer: 0 },
  { group: 'ring', prefix: 'src/ring/', layer: 1 },
  { group: 'index', prefix: 'src/index.ts', layer: 2 },
  { group: 'protocol', prefix: 'src/protocol/', layer: 2 },
  { group: 'workers', prefix: 'workers/', layer: 3 },
  { group: 'report', prefix: 'src/report/', layer: 3 },
  { group: 'main-thread', prefix: 'src/main-thread/', layer: 4 },
  { group: 'cli', prefix: 'src/cli/', layer: 5 },
  { group: 'bench', prefix: 'bench/', layer: 6 },
  { group: 'scripts', prefix: 'scripts/', layer: 6 },
];

interface Problem {
  file: string;
  line: number;
  message: string;
}

/** Every source file under FOLDERS, as paths relative to ROOT with forward slashes. */
function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (EXTENSIONS.some((ext) => entry.name.endsWith(ext))) files.push(rel);
    }
  };
  for (const folder of FOLDERS) if (fs.existsSync(path.join(ROOT, folder))) walk(folder);
  return files.sort();
}

/** Width, whitespace and final-newline problems. */
function checkLines(file: string, text: string): Problem[] {
  const problems: Problem[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const at = { file, line: i + 1 };
    if (line.length > MAX_WIDTH) {
      problems.push({ ...at, message: `line of ${line.length} characters (at most ${MAX_WIDTH})` });
    }
    if (/[ \t]+$/.test(line)) problems.push({ ...at, message: 'trailing whitespace' });
    if (line.includes('\t')) problems.push({ ...at, message: 'tab character (indent with spaces)' });
  });
  if (!text.endsWith('\n')) problems.push({ file, line: lines.length, message: 'no newline at the end of the file' });
  return problems;
}

/** Strings in double quotes that hold no single quote. */
function checkQuotes(file: string, text: string): Problem[] {
  const problems: Problem[] = [];
  // A real parse, not a scan for quotes: only the parser tells a string from a regular expression or a comment.
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node)) {
      const raw = node.getText(source);
      if (raw.startsWith('"') && !node.text.includes("'")) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        problems.push({ file, line: line + 1, message: `double-quoted string ${raw} (use single quotes)` });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

/** The opening `/**` comment with a first line of text. */
function checkCaption(file: string, text: string): Problem[] {
  const body = text.startsWith('#!') ? text.slice(text.indexOf('\n') + 1) : text;
  const match = /^\/\*\*[ \t]*(?:\n[ \t]*\*)?[ \t]*(\S.*)/.exec(body);
  if (match === null || match[1] === undefined || match[1].startsWith('@')) {
    return [{ file, line: 1, message: 'no caption: open the file with a /** comment that says what it is for' }];
  }
  return [];
}

/** The group and layer of a file, or undefined for tests (which may import anything). */
function layerOf(file: string): { group: string; layer: number } | undefined {
  return LAYERS.find((l) => file === l.prefix || file.startsWith(l.prefix));
}

/** The project files `file` imports, by relative specifier, mapped from .js back to the source. */
function importsOf(file: string, text: string, known: ReadonlySet<string>): { target: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: { target: string; line: number }[] = [];
  for (const statement of source.statements) {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier !== undefined
        ? statement.moduleSpecifier
        : undefined;
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier.text));
    const candidates = [resolved.replace(/\.js$/, '.ts'), resolved.replace(/\.mjs$/, '.mts'), resolved];
    const target = candidates.find((c) => known.has(c));
    if (target === undefined) continue;
    const { line } = source.getLineAndCharacterOfPosition(statement.getStart(source));
    found.push({ target, line: line + 1 });
  }
  return found;
}

/** Imports that run up the layers or across groups of one layer, and import cycles. */
function checkLayers(texts: ReadonlyMap<string, string>): Problem[] {
  const problems: Problem[] = [];
  const known = new Set(texts.keys());
  const graph = new Map<string, string[]>();
  for (const [file, text] of texts) {
    const imports = importsOf(file, text, known);
    graph.set(
      file,
      imports.map((i) => i.target),
    );
    const from = layerOf(file);
    if (from === undefined) continue;
    for (const { target, line } of imports) {
      const to = layerOf(target);
      if (to === undefined || to.group === from.group || to.layer < from.layer) continue;
      const rule = `${from.group} (layer ${from.layer}) may not import ${to.group} (layer ${to.layer})`;
      problems.push({ file, line, message: `imports ${target}: ${rule}` });
    }
  }
  // Cycles: a depth-first search that reports each back edge once.
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        problems.push({ file, line: 1, message: `import cycle: ${cycle.join(' -> ')}` });
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return problems;
}

function main(): number {
  const files = sourceFiles();
  const texts = new Map(files.map((file) => [file, fs.readFileSync(path.join(ROOT, file), 'utf8')]));
  const problems: Problem[] = [];
  for (const [file, text] of texts) {
    problems.push(...checkLines(file, text), ...checkQuotes(file, text), ...checkCaption(file, text));
  }
  problems.push(...checkLayers(texts));
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  for (const p of problems) process.stdout.write(`${p.file}:${p.line}: ${p.message}\n`);
  if (problems.length > 0) {
    process.stdout.write(`lint: ${plural(problems.length, 'problem')} in ${files.length} files\n`);
    return 1;
  }
  process.stdout.write(`lint: ${files.length} files, no problem\n`);
  return 0;
}

process.exitCode = main();

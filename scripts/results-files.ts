/**
 * The files of `npm run results`: moving what an entry made from the scratch folder into
 * docs/results/ (replacing what the entry made there before, its --fio-json folder whole), and
 * marking each file on the way when the tree was dirty (--allow-dirty):
 *   .txt   a first line `# made from a dirty tree (DESCRIBE): not for committing`
 *   .json  every machine object (the bench's, or fio's format's under `vblk-mq`) gets a
 *          `gitDescribe` ending in `-dirty` and `dirtyTree`, the lines of `git status` that made
 *          it dirty; a JSON without one gets `dirtyTree` at its top
 *   .svg   an XML comment after the opening tag's line
 * test/results-drift.test.ts refuses each of these marks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { madeFiles, type ResultCommand } from './results-list.js';
import { DIRTY_NOTE } from './results-readme.js';

/** What marks the files made from a dirty tree: its `git describe` and the lines that made it dirty. */
export interface DirtyMark {
  describe: string;
  lines: string[];
}

/** Marks every machine object of a JSON value (the bench's own, or fio's format's under `vblk-mq`). */
function markJson(value: unknown, mark: DirtyMark): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  const machines = [record['machine'], (record['vblk-mq'] as Record<string, unknown> | undefined)?.['machine']];
  let marked = false;
  for (const machine of machines) {
    if (typeof machine !== 'object' || machine === null) continue;
    const m = machine as Record<string, unknown>;
    const describe = typeof m['gitDescribe'] === 'string' ? m['gitDescribe'] : 'unknown';
    m['gitDescribe'] = describe.endsWith('-dirty') ? describe : `${describe}-dirty`;
    m['dirtyTree'] = mark.lines;
    marked = true;
  }
  if (!marked) record['dirtyTree'] = mark.lines;
  return record;
}

/** Copies `from` to `to`, marking it on the way when `mark` is given. */
function copyMarked(from: string, to: string, mark: DirtyMark | undefined): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  if (mark === undefined) {
    fs.copyFileSync(from, to);
    return;
  }
  const text = fs.readFileSync(from, 'utf8');
  const note = `${DIRTY_NOTE} (${mark.describe}): not for committing`;
  if (to.endsWith('.json')) {
    fs.writeFileSync(to, `${JSON.stringify(markJson(JSON.parse(text), mark), null, 2)}\n`);
  } else if (to.endsWith('.svg')) {
    const cut = text.indexOf('\n') + 1;
    fs.writeFileSync(to, `${text.slice(0, cut)}<!-- ${note} -->\n${text.slice(cut)}`);
  } else {
    fs.writeFileSync(to, `# ${note}\n${text}`);
  }
}

/** Every file under `dir`, as paths relative to it. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return filesUnder(path.join(dir, entry.name)).map((f) => path.join(entry.name, f));
    return entry.isFile() ? [entry.name] : [];
  });
}

/** Removes what `entry` makes from `dir`. */
export function removeMade(dir: string, entry: ResultCommand): void {
  for (const file of madeFiles(entry)) fs.rmSync(path.join(dir, file), { recursive: true, force: true });
}

/** Copies what `entry` made in the scratch folder `work` into `out` (docs/results/), replacing what was there. */
export function publish(work: string, out: string, entry: ResultCommand, mark: DirtyMark | undefined): void {
  removeMade(out, entry);
  for (const file of madeFiles(entry)) {
    const from = path.join(work, file);
    const files = file.endsWith('/') ? filesUnder(from).map((f) => path.join(file, f)) : [file];
    for (const f of files) {
      if (fs.existsSync(path.join(work, f))) copyMarked(path.join(work, f), path.join(out, f), mark);
    }
  }
}

/**
 * `npm run bench` and `npm run compare` as a user runs them: a real child
 * process, its output, its result file and its exit status.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { roleAccounting } from '../dist/src/report/accounting.js';
import { tasksetAvailable } from '../dist/src/protocol/cpu-list.js';
import { formatNs, formatPercent } from '../dist/src/report/format.js';
import type { ExplainStep, ExplainWhy, RunResult } from '../dist/src/report/result.js';

const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-bench-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(script: string, args: string[], timeout = 60_000) {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/bench', script), ...args], {
    encoding: 'utf8',
    timeout,
    cwd: tmp,
    env: { ...process.env, INIT_CWD: tmp },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run bench', () => {
  const json = path.join(tmp, 'run.json');
  const svg = path.join(tmp, 'run.svg');
  const fioDir = path.join(tmp, 'fio');

  it(
    'sweeps both modes twice, prints a table, ratios and a chart, and writes JSON, SVG and fio JSON',
    { timeout: 60_000 },
    () => {
      // Relative paths, as the README's command gives them; the --fio-json folder does not exist yet.
      expect(fs.existsSync(fioDir)).toBe(false);
      const r = run('bench.js', [
        '--jobs',
        '1,2',
        '--mode',
        'both',
        '--runtime',
        '200ms',
        '--ramp',
        '100ms',
        '--repeat',
        '2',
        '--json',
        'run.json',
        '--svg',
        'run.svg',
        '--fio-json',
        'fio/',
      ]);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^mode\s+lock\s+jobs\s+IOPS/m);
      expect(r.stdout).toMatch(/mq\/sq/);
      expect(r.stdout).toMatch(/fio jobs/);

      const file = JSON.parse(fs.readFileSync(json, 'utf8'));
      expect(file.schema).toBe(3);
      expect(Object.keys(file.machine).sort()).toEqual([
        'availableParallelism',
        'cpuModel',
        'cpus',
        'gitDescribe',
        'kernel',
        'memoryBytes',
        'node',
        'platform',
        'version',
        'wakeup',
      ]);
      expect(file.machine.kernel).toBe(os.release());
      expect(file.machine.memoryBytes).toBe(os.totalmem());
      expect(file.machine.version).toBe(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
      // Relative paths as typed, never the machine's own; echoed as typed.
      expect(file.options).toMatchObject({ json: 'run.json', svg: 'run.svg', fioJson: 'fio/' });
      expect(JSON.stringify(file)).not.toContain(tmp);
      expect(r.stderr).toMatch(/^vblk-mq: wrote run\.json$/m);
      expect(r.stderr).toMatch(/^vblk-mq: wrote run\.svg$/m);
      // Interleaved: round by round, the modes of a point side by side.
      const rounds = [1, 2].flatMap((r) =>
        [1, 2].flatMap((j) => ['sq', 'mq'].map((m) => `${m} spin jobs=${j} repeat ${r}`)),
      );
      expect(file.order).toEqual(rounds);
      // The wake-up calibration taken before the sweep: every figure it could take is positive.
      const wakeup = file.machine.wakeup as Record<string, number | null>;
      expect(wakeup['unpinnedUs']).toBeGreaterThan(0);
      for (const value of Object.values(wakeup)) if (value !== null) expect(value).toBeGreaterThan(0);
      expect(r.stderr).toMatch(/^vblk-mq: wake-up [\d.]+ us/m);
      expect(r.stdout).toMatch(/^machine: .*wake-up [\d.]+ us/m);
      expect(file.runs).toHaveLength(4);
      for (const run of file.runs) {
        for (const key of [
          'mode',
          'jobs',
          'iodepth',
          'iothreads',
          'lock',
          'cpus',
          'iops',
          'bwBytesPerSec',
          'slatNs',
          'clatNs',
          'latNs',
          'locks',
          'submitted',
          'completed',
          'samples',
        ]) {
          expect(run).toHaveProperty(key);
        }
        // Every run's figures, and the median among them.
        expect(run.repeats).toBe(2);
        expect(run.samples).toHaveLength(2);
        expect(run.samples.map((s: { iops: number }) => s.iops)).toContain(run.iops);
        expect(Object.keys(run.latNs.percentiles)).toEqual(expect.arrayContaining(['50.000000', '99.000000']));
        for (const lock of run.locks) {
          expect(Object.keys(lock).sort()).toEqual([
            'acquisitions',
            'contentions',
            'name',
            'parks',
            'spins',
            'waitNsMax',
            'waitNsTotal',
          ]);
        }
        expect(run.submitted).toBe(run.completed);
      }
      expect(file.runs.map((r: { mode: string; jobs: number }) => `${r.mode}${r.jobs}`)).toEqual([
        'sq1',
        'sq2',
        'mq1',
        'mq2',
      ]);
      expect(fs.readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
      expect(fs.readFileSync(svg, 'utf8').match(/<g class="panel">/g)).toHaveLength(3);
      expect(r.stdout).toMatch(/IOPS\s+min\.\.max/);
      expect(r.stdout).toMatch(/^mq\/sq, lock spin, \d+ cpus, iodepth 1, 2 paired rounds$/m);
      expect(file.ratios).toHaveLength(2);
      for (const ratio of file.ratios) expect(['faster', 'slower', '~']).toContain(ratio.verdict);

      // One fio-format file per point, where fio-plot looks, with fio's fields.
      for (const point of file.runs) {
        const fioFile = path.join(fioDir, `${point.mode}-spin-${point.cpus}cpu`, '4k', `randread-1-${point.jobs}.json`);
        const fio = JSON.parse(fs.readFileSync(fioFile, 'utf8'));
        expect(fio['fio version']).toMatch(/^vblk-mq-/);
        expect(fio.jobs[0]['job options']).toEqual({
          rw: 'randread',
          bs: '4k',
          iodepth: '1',
          numjobs: String(point.jobs),
        });
        expect(fio.jobs[0].read.iops).toBe(point.iops);
        expect(fio.jobs[0].read.clat_ns.percentile['99.000000']).toBeGreaterThan(0);
        // json+'s bins, every request once: what fio_jsonplus_clat2csv reads.
        for (const side of ['slat_ns', 'clat_ns', 'lat_ns']) {
          const { bins, N } = fio.jobs[0].read[side] as { bins: Record<string, number>; N: number };
          expect(Object.values(bins).reduce((a, b) => a + b, 0)).toBe(N);
        }
        expect(fio['vblk-mq'].mode).toBe(point.mode);
      }
      expect(r.stderr).toMatch(/^vblk-mq: wrote 4 fio-format files under fio\/$/m);
    },
  );

  it('echoes absolute paths as typed, records them so, makes a missing --fio-json DIR', { timeout: 30_000 }, () => {
    const absolute = path.join(tmp, 'absolute');
    fs.mkdirSync(absolute);
    const file = path.join(absolute, 'abs.json');
    const fio = path.join(absolute, 'fio-new');
    const r = run('bench.js', [
      '--jobs',
      '1',
      '--mode',
      'mq',
      '--runtime',
      '100ms',
      '--ramp',
      '50ms',
      '--quiet',
      '--json',
      file,
      '--fio-json',
      fio,
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`vblk-mq: wrote ${file}\n`);
    expect(r.stderr).toContain(`vblk-mq: wrote 1 fio-format file under ${fio}\n`);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).options).toMatchObject({ json: file, fioJson: fio });
    expect(fs.readdirSync(fio)).toEqual([`mq-spin-${os.availableParallelism()}cpu`]);
  });

  it('compare matches the runs of two files', { timeout: 30_000 }, () => {
    const copy = path.join(tmp, 'copy.json');
    fs.copyFileSync(json, copy);
    const r = run('compare.js', [json, copy]);
    expect(r.status).toBe(0);
    // Every run matches itself: ratio 1.00x on each of the four rows.
    expect(r.stdout.match(/1\.00x/g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('prints every option with --help and exits 0', () => {
    const r = run('bench.js', ['--help']);
    expect(r.status).toBe(0);
    for (const option of [
      '--jobs',
      '--mode',
      '--lock',
      '--bs',
      '--iodepth',
      '--iothreads',
      '--runtime',
      '--ramp',
      '--cpus',
      '--json',
      '--svg',
      '--repeat',
    ]) {
      expect(r.stdout).toContain(option);
    }
  });

  it(
    '--explain runs its designs interleaved and prints steps that multiply to mq/sq',
    { timeout: 90_000 },
    () => {
      const out = path.join(tmp, 'explain.json');
      const r = run(
        'bench.js',
        ['--explain', '--jobs', '3', '--iodepth', '4', '--runtime', '150ms', '--ramp', '50ms'].concat(
          ['--repeat', '2', '--lock', 'spin', '--iothreads', '2', '--json', out, '--output', 'wide'],
        ),
        90_000,
      );
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^explain: lock spin, \d+ cpus, 3 jobs, iodepth 4/m);
      expect(r.stdout).toMatch(/^stages of lat/m);
      expect(r.stdout).toMatch(/^where each role's time goes/m);
      const file = JSON.parse(fs.readFileSync(out, 'utf8'));
      // Four designs, each run twice, interleaved round by round.
      expect(file.runs).toHaveLength(4);
      expect(file.order).toHaveLength(8);
      expect(file.order.slice(0, 4).every((run: string) => run.endsWith('repeat 1'))).toBe(true);
      const steps: ExplainStep[] = file.explain;
      expect(steps.map((s) => s.step)).toEqual([
        'a queue per vCPU',
        'more IO threads',
        'mq/sq',
        'one queue without its lock',
      ]);
      // The chain's two steps multiply to mq/sq; the counterfactual stands beside it.
      expect(Math.abs((steps[0]!.ratio * steps[1]!.ratio) / steps[2]!.ratio - 1)).toBeLessThan(0.01);
      expect(steps.map((s) => s.counterfactual === true)).toEqual([false, false, false, true]);
      for (const s of steps) {
        expect(s.min).toBeLessThanOrEqual(s.ratio + 1e-12);
        expect(s.max).toBeGreaterThanOrEqual(s.ratio - 1e-12);
        expect(s.rounds).toBe(2);
        expect(s.level).toBe(0.95);
        expect(s.ciLow).toBeLessThanOrEqual(s.ratio);
        expect(s.ciHigh).toBeGreaterThanOrEqual(s.ratio);
        expect(['faster', 'slower', '~']).toContain(s.verdict);
      }
      expect(r.stdout).toContain('(one queue without its lock)');
      // The why lines: printed, kept in the JSON, and every number in them is one of its figures,
      // each of which the runs' own fields give again.
      const why: ExplainWhy = file.explainWhy[0];
      expect(why.lines.length).toBeGreaterThan(0);
      expect(why.lines.length).toBeLessThanOrEqual(4);
      expect(r.stdout).toMatch(/^why:$/m);
      const shown = new Set(
        Object.values(why.figures).flatMap((v) => [formatNs(v), formatPercent(v, 0), v.toFixed(2), String(v)]),
      );
      for (const line of why.lines) {
        for (const token of line.match(/\d+(\.\d+)?(ns|us|ms|s|%)?/g) ?? []) {
          expect([...shown].some((f) => f === token || f.startsWith(token)), `${token} in "${line}"`).toBe(true);
        }
      }
      const runs: RunResult[] = file.runs;
      const sq = runs.find((run) => run.mode === 'sq' && run.lock === 'spin')!;
      const mq = runs.find((run) => run.mode === 'mq' && run.iothreads === 2)!;
      const io = (run: RunResult): number => roleAccounting(run)!.find((x) => x.role === 'iothread')!.cpuNs;
      expect(why.figures['sqIothreadCpuNs']).toBeCloseTo(io(sq), 6);
      expect(why.figures['mqIothreadCpuNs']).toBeCloseTo(io(mq), 6);
      if (why.figures['sqVcpuSpinNs'] !== undefined) {
        const vcpu = roleAccounting(sq)!.find((x) => x.role === 'vcpu')!;
        expect(why.figures['sqVcpuSpinNs']).toBeCloseTo(vcpu.spinNs, 6);
        expect(why.figures['sqVcpuCpuNs']).toBeCloseTo(vcpu.cpuNs, 6);
      }
    },
  );
});

describe('the default output and --repeat auto', () => {
  /** Every line of a command's output, stdout and stderr, longer than `width` columns. */
  const tooWide = (text: string, width: number): string[] => text.split('\n').filter((line) => line.length > width);

  it('fits in 100 columns with every lock kind, both modes and several --cpus', { timeout: 120_000 }, () => {
    const cpus = tasksetAvailable() && os.availableParallelism() >= 2 ? ['--cpus', '1,2'] : [];
    const r = run(
      'bench.js',
      ['--jobs', '2', '--mode', 'both', '--lock', 'spin,ticket,mcs,pv,mutex,adaptive,none'].concat(
        ['--repeat', '2', '--runtime', '60ms', '--ramp', '20ms', ...cpus],
      ),
      110_000,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(tooWide(r.stdout, 100)).toEqual([]);
    expect(tooWide(r.stderr, 100)).toEqual([]);
    // The compact table, the mq/sq tables with their intervals, then the chart.
    const header = /^mode\s+lock\s+jobs\s+IOPS\s+min\.\.max\s+lat p50\/p99\s+contention\s+max wait\s+busiest$/m;
    expect(r.stdout).toMatch(header);
    expect(r.stdout).toMatch(/^jobs\s+sq IOPS\s+mq IOPS\s+mq\/sq \[95% interval\]$/m);
    expect(r.stdout).toMatch(/fio jobs/);
    expect(r.stdout).not.toMatch(/^stages of lat/m);
  });

  it('--explain fits in 100 columns too, and names its designs', { timeout: 60_000 }, () => {
    const args = ['--explain', '--jobs', '2', '--repeat', '2', '--runtime', '60ms', '--ramp', '20ms'];
    const r = run('bench.js', args);
    expect(r.status, r.stderr).toBe(0);
    expect(tooWide(r.stdout, 100)).toEqual([]);
    expect(tooWide(r.stderr, 100)).toEqual([]);
    expect(r.stdout).toMatch(/^sq spin -> mq spin iothreads=1 -> mq spin iothreads=\d+: the two steps multiply/m);
    expect(r.stdout).toContain('(one queue without its lock)');
  });

  it('--output wide still prints every column of the run table, the stages and the per-role table', () => {
    const args = ['--jobs', '1', '--mode', 'both', '--runtime', '60ms', '--ramp', '20ms', '--output', 'wide'];
    const r = run('bench.js', args);
    expect(r.status, r.stderr).toBe(0);
    for (const header of ['BW', 'slat p50', 'clat p99', 'p99.9', 'fairness', 'avg wait', 'spins', 'parks']) {
      expect(r.stdout).toContain(header);
    }
    for (const header of ['cpu/req v/io/dev', 'util v/io/dev', 'runq v/io/dev', 'csw vol', 'csw invol']) {
      expect(r.stdout).toContain(header);
    }
    expect(r.stdout).toMatch(/^stages of lat/m);
    expect(r.stdout).toMatch(/^where each role's time goes/m);
  });

  it('--repeat auto runs 3 rounds at least, and stops by its rule', { timeout: 120_000 }, () => {
    const json = path.join(tmp, 'auto.json');
    const args = ['--jobs', '2', '--mode', 'both', '--runtime', '60ms', '--ramp', '20ms', '--repeat', 'auto'];
    const r = run('bench.js', [...args, '--max-rounds', '4', '--json', json], 110_000);
    expect(r.status, r.stderr).toBe(0);
    const file = JSON.parse(fs.readFileSync(json, 'utf8'));
    const { ran, auto, wide } = file.rounds;
    expect(auto).toBe(true);
    expect(ran).toBeGreaterThanOrEqual(3);
    expect(ran).toBeLessThanOrEqual(4);
    const narrow = (x: { ratio: number; ciLow: number; ciHigh: number }): boolean =>
      x.ciLow >= x.ratio * 0.9 && x.ciHigh <= x.ratio * 1.1;
    // It stopped early only when every interval was narrow; at the limit it names those still wide.
    if (ran < 4) expect(file.ratios.every(narrow)).toBe(true);
    const stillWide = file.ratios.filter((x: never) => !narrow(x));
    expect(wide).toEqual(stillWide.map((x: { lock: string; jobs: number }) => `${x.lock} jobs=${x.jobs}`));
    expect(r.stdout).toMatch(new RegExp(`^--repeat auto: ${ran} rounds`, 'm'));
    // One mode has no ratio to narrow: the fewest rounds are enough.
    const one = path.join(tmp, 'auto-one.json');
    const oneMode = ['--jobs', '1', '--mode', 'sq', '--runtime', '40ms', '--ramp', '20ms', '--repeat', 'auto'];
    const s = run('bench.js', [...oneMode, '--json', one]);
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(one, 'utf8')).rounds.ran).toBe(3);
  });
});

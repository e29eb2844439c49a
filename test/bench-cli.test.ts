/**
 * `npm run bench` and `npm run compare` as a user runs them: a real child
 * process, its output, its result file and its exit status.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

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
      expect(r.stdout).toMatch(/mode\s+lock\s+cpus\s+jobs/);
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
      expect(r.stdout).toMatch(/mq\/sq\s+worst\.\.best/);

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
          ['--repeat', '2', '--lock', 'spin', '--iothreads', '2', '--json', out],
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
      const steps: { step: string; ratio: number; min: number; max: number }[] = file.explain;
      expect(steps.map((s) => s.step)).toEqual(['the lock', 'queue+lock per vCPU', 'more IO threads', 'mq/sq']);
      const product = steps[0]!.ratio * steps[1]!.ratio * steps[2]!.ratio;
      expect(Math.abs(product / steps[3]!.ratio - 1)).toBeLessThan(0.01);
      for (const s of steps) expect(s.min).toBeLessThanOrEqual(s.ratio + 1e-12);
      for (const s of steps) expect(s.max).toBeGreaterThanOrEqual(s.ratio - 1e-12);
    },
  );
});

/**
 * Figures people can reuse: the spread of repeated runs (table, ratios, note), fio's JSON format
 * (checked field by field against a real fio run where fio is installed), the SVG's panels and
 * whiskers, and the progress line. Pure functions over fixed runs: no worker, no clock.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { renderRunTable } from '../dist/src/report/table.js';
import { renderModeRatios } from '../dist/src/report/ratios.js';
import { pointSpreads, renderSpreadNote, ratioRange } from '../dist/src/report/spread.js';
import { fioJsonOf, fioJsonPath } from '../dist/src/report/fio-json.js';
import { latencyDistribution } from '../dist/src/report/latency.js';
import { renderSvg } from '../dist/src/report/svg.js';
import { SweepProgress, formatClock } from '../dist/src/cli/progress.js';
import { point } from './helpers/point.js';
import type { RunResult } from '../dist/src/report/result.js';
import { latency, lock, machine, makeRun } from './helpers/fixtures.js';

/** A point that ran three times at these IOPS: the median run, with every run as a sample. */
function repeated(mode: 'sq' | 'mq', jobs: number, iops: readonly number[]): RunResult {
  const samples = iops.map((value) => makeRun({ mode, jobs, iops: value }));
  const median = [...samples].sort((a, b) => a.iops - b.iops)[Math.floor((samples.length - 1) / 2)]!;
  return { ...median, repeats: samples.length, samples };
}

describe('spread of repeated runs', () => {
  const sq = repeated('sq', 8, [100_000, 90_000, 110_000]);
  const mq = repeated('mq', 8, [400_000, 300_000, 450_000]);

  it('shows each point’s range of IOPS and p99 next to its median', () => {
    const [header, row] = renderRunTable([sq]).split('\n');
    const cells = (line: string): string[] => line.trim().split(/\s{2,}/);
    const columns = cells(header!);
    const values = Object.fromEntries(cells(row!).map((cell, i) => [columns[i], cell]));
    expect(columns.slice(columns.indexOf('IOPS'), columns.indexOf('IOPS') + 2)).toEqual(['IOPS', 'min..max']);
    expect(values['IOPS']).toBe('100k');
    expect(cells(row!)[columns.indexOf('IOPS') + 1]).toBe('90.0k..110k');
  });

  it('gives the mq/sq ratio from its worst pairing to its best', () => {
    expect(ratioRange(sq, mq)).toEqual({ min: 300_000 / 110_000, max: 450_000 / 90_000 });
    // The wide table keeps the range after the interval (ratios.ts: the ratio is the rounds' geometric mean).
    const wide = renderModeRatios([sq, mq], 0.95, true);
    expect(wide).toMatch(/^\s+8\s+100k\s+400k\s+3\.\d\dx \[.*\]\s+\S+\s+2\.73x\.\.5\.00x$/m);
  });

  it('tells spread between runs from spread within them, from the iops log', () => {
    // Runs of 90k, 100k, 110k: standard deviation 10k over mean 100k. Each run's slices [a, b, c]
    // and a last, short one left out: CV of [95k, 105k] is 7.07%, of [100k, 100k] 0.
    const logged = repeated('sq', 8, [90_000, 100_000, 110_000]);
    const slices = [[95_000, 105_000, 1], [100_000, 100_000, 1], [100_000, 100_000, 1]];
    const samples = logged.samples!.map((run, i) => ({ ...run, iopsLog: { msec: 100, iops: slices[i]! } }));
    const [spread] = pointSpreads([{ ...logged, samples }]);
    expect(spread!.runs).toBe(3);
    expect(spread!.betweenRunsCv).toBeCloseTo(0.1, 12);
    expect(spread!.withinRunCv).toBeCloseTo(Math.SQRT2 * 5_000 / 100_000 / 3, 12);
    // One run, and no log: nothing to measure.
    const [single] = pointSpreads([makeRun()]);
    expect(single!.betweenRunsCv).toBeNaN();
    expect(single!.withinRunCv).toBeNaN();
  });

  it('says so in one line when a point spreads more than ±10% around its median', () => {
    expect(renderSpreadNote([sq])).toBe('');
    const note = renderSpreadNote([sq, mq]);
    expect(note).toMatch(/^note: 1 of 2 points spread more than ±10% around their median IOPS \(widest: mq/);
    expect(note).toContain('--repeat 5');
    expect(note.trimEnd()).not.toContain('\n');
  });
});

describe("fio's JSON format", () => {
  const run = repeated('mq', 4, [200_000, 190_000, 210_000]);
  const json = fioJsonOf({ ...run, runtimeMs: 2000 }, machine({ version: '0.1.0' }), new Date(0));
  const job = (json['jobs'] as Record<string, unknown>[])[0]!;
  const read = job['read'] as Record<string, unknown>;

  it('is named as fio-plot names its files: a folder per series, then the block size', () => {
    expect(fioJsonPath('out', run)).toBe(path.join('out', 'mq-spin-8cpu', '4k', 'randread-32-4.json'));
  });

  it('carries fio’s fields, with group_reporting’s one job, and vblk-mq’s own figures apart', () => {
    expect(json['fio version']).toBe('vblk-mq-0.1.0');
    expect(json['global options']).toMatchObject({ ioengine: 'vblk-mq', group_reporting: '1' });
    expect(json['jobs']).toHaveLength(1);
    expect(job['jobname']).toBe('mq-spin');
    expect(job['job options']).toEqual({ rw: 'randread', bs: '4k', iodepth: '32', numjobs: '4' });
    expect(read['iops']).toBe(200_000);
    expect(read['io_bytes']).toBe(400_000 * 4096);
    expect(read['bw']).toBe(Math.round((200_000 * 4096) / 1024));
    expect(read['runtime']).toBe(2000);
    // As json+ writes them with slat_percentiles and lat_percentiles: percentiles and bins under all three.
    for (const side of ['slat_ns', 'clat_ns', 'lat_ns']) {
      expect(Object.keys(read[side] as object)).toEqual(['min', 'max', 'mean', 'stddev', 'N', 'percentile', 'bins']);
    }
    const clat = read['clat_ns'] as Record<string, unknown>;
    expect((clat['percentile'] as Record<string, number>)['99.000000']).toBe(10_900);
    expect(clat['bins']).toEqual(run.clatNs.bins);
    expect(json['global options']).toMatchObject({ slat_percentiles: '1', lat_percentiles: '1' });
    // fio's latency distribution is of clat.
    expect(job['latency_us']).toEqual(latencyDistribution(run.clatNs).latency_us);
    expect(read['iops_min']).toBe(190_000);
    expect(read['iops_max']).toBe(210_000);
    expect(read['iops_samples']).toBe(3);
    expect(json['vblk-mq']).toMatchObject({ mode: 'mq', lock: 'spin', repeats: 3, locks: run.locks });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  const fio = spawnSync('fio', ['--version'], { encoding: 'utf8' });
  const reason = fio.error === undefined ? '' : ' (skipped: fio is not installed; apt-get install fio)';
  it.skipIf(fio.error !== undefined)(`has the layout of a real fio run's JSON, field by field${reason}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-fio-'));
    try {
      const jobFile = path.join(dir, 'job.fio');
      fs.writeFileSync(
        jobFile,
        '[global]\nioengine=null\nrw=randread\nbs=4k\nsize=16m\niodepth=4\ngroup_reporting=1\n' +
          'slat_percentiles=1\nlat_percentiles=1\nruntime=200ms\ntime_based=1\nrate_iops=2000\n[job]\nnumjobs=2\n',
      );
      const r = spawnSync('fio', ['--output-format=json+', jobFile], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      const real = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as Record<string, unknown>;
      const realJob = (real['jobs'] as Record<string, unknown>[])[0]!;
      const realRead = realJob['read'] as Record<string, unknown>;
      // Every field vblk-mq writes is a field of fio's, of the same type, down to the percentiles' keys.
      for (const key of ['fio version', 'timestamp', 'timestamp_ms', 'time', 'global options', 'jobs']) {
        expect(typeof json[key]).toBe(typeof real[key]);
      }
      for (const [key, value] of Object.entries(job)) {
        if (key === 'job options') continue;
        expect(realJob, `job.${key}`).toHaveProperty([key]);
        expect(typeof value, `job.${key}`).toBe(typeof realJob[key]);
      }
      for (const [key, value] of Object.entries(read)) {
        expect(realRead, `read.${key}`).toHaveProperty([key]);
        expect(typeof value, `read.${key}`).toBe(typeof realRead[key]);
      }
      for (const side of ['slat_ns', 'clat_ns', 'lat_ns']) {
        expect(Object.keys(read[side] as object).sort()).toEqual(Object.keys(realRead[side] as object).sort());
      }
      const percentiles = (figures: unknown): string[] =>
        Object.keys((figures as Record<string, Record<string, number>>)['percentile']!);
      for (const side of ['slat_ns', 'clat_ns', 'lat_ns']) {
        expect(percentiles(read[side])).toEqual(percentiles(realRead[side]));
      }
      for (const bucket of ['latency_ns', 'latency_us', 'latency_ms']) {
        expect(Object.keys(job[bucket] as object)).toEqual(Object.keys(realJob[bucket] as object));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const clat2csv = spawnSync('fio_jsonplus_clat2csv', ['--help'], { encoding: 'utf8' });
  const noTool =
    clat2csv.error === undefined ? '' : ' (skipped: fio_jsonplus_clat2csv is not installed; apt-get install fio)';
  it.skipIf(clat2csv.error !== undefined)(`is read by fio's fio_jsonplus_clat2csv, bin for bin${noTool}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-clat2csv-'));
    try {
      const file = path.join(dir, 'point.json');
      fs.writeFileSync(file, JSON.stringify(json, null, 2));
      const csv = path.join(dir, 'point.csv');
      const r = spawnSync('fio_jsonplus_clat2csv', [file, csv], { encoding: 'utf8', timeout: 20_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // One CSV per job: `nsec, read_slat_ns_count, read_slat_ns_cumulative, read_slat_ns_percentile, ...`.
      const [header, ...rows] = fs.readFileSync(path.join(dir, 'point_job0.csv'), 'utf8').trim().split('\n');
      const columns = header!.split(',').map((c) => c.trim());
      const cells = rows.map((row) => row.split(',').map((c) => c.trim()));
      for (const [side, figures] of [
        ['slat', run.slatNs],
        ['clat', run.clatNs],
        ['lat', run.latNs],
      ] as const) {
        const count = columns.indexOf(`read_${side}_ns_count`);
        const counts = cells.map((c) => c[count]!).filter((c) => c !== '');
        // A row per bin, and the rows add up to the requests.
        expect(counts).toHaveLength(Object.keys(figures.bins!).length);
        expect(counts.reduce((sum, c) => sum + Number(c), 0)).toBe(figures.count);
      }
      const check = spawnSync('fio_jsonplus_clat2csv', [file, csv, '--validate'], { encoding: 'utf8' });
      expect(check.stdout).toContain('validated');
      expect(check.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the SVG chart', () => {
  const runs = [
    repeated('sq', 1, [100_000, 95_000, 104_000]),
    repeated('sq', 8, [50_000, 40_000, 60_000]),
    { ...repeated('mq', 1, [110_000, 100_000, 120_000]), locks: [lock({ contentions: 0, waitNsMax: 0 })] },
    { ...repeated('mq', 8, [300_000, 280_000, 330_000]), locks: [lock({ contentions: 2, waitNsMax: 20_000_000 })] },
    { ...makeRun({ mode: 'mq', lock: 'none', jobs: 8, iops: 320_000 }), locks: [] },
  ];
  const svg = renderSvg(runs, 'IOPS and locks', machine());

  it('draws IOPS on top and the locks below: three panels, a line per series in each that has values', () => {
    expect(svg.match(/<g class="panel">/g)).toHaveLength(3);
    // Three series (sq spin, mq spin, mq none): all three in the IOPS panel, the two with locks below.
    expect(svg.match(/<polyline /g)).toHaveLength(3 + 2 + 2);
    for (const text of ['IOPS (median', 'lock acquisitions that waited', 'longest lock wait', 'fio jobs (vCPUs)']) {
      expect(svg).toContain(text);
    }
  });

  it('draws a whisker from the slowest run to the fastest at every repeated point', () => {
    expect(svg.match(/<path d="M[\d.]+ [\d.]+V[\d.]+M/g)).toHaveLength(4);
    expect(svg).toContain('sq spin, 8 cpus: 8 jobs, 50.0k (runs 40.0k..60.0k)');
  });

  it('puts the longest waits on a log scale when they span decades', () => {
    // 50 us to 20 ms: decade ticks.
    for (const tick of ['>10.0us<', '>100.0us<', '>1.0ms<', '>10.0ms<', '>100.0ms<']) expect(svg).toContain(tick);
  });

  it('stays one self-contained document', () => {
    expect(svg).not.toMatch(/<script|@import|href=/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});

describe('progress', () => {
  /** A stream that keeps what is written to it. */
  function recorder(): { out: NodeJS.WritableStream; text: () => string } {
    let text = '';
    const out = { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream;
    return { out, text: () => text };
  }
  const spec = point({ mode: 'sq', lock: 'spin', jobs: 2, iodepth: 32, cpus: 2 });
  const run = makeRun({ mode: 'sq', jobs: 2 });

  it('on a terminal, rewrites one line with the point, runs done, time left and live IOPS', () => {
    const { out, text } = recorder();
    const progress = new SweepProgress(out, 'tty', 4, 4000, 2);
    progress.start(spec, 1, 1);
    progress.live(123_456);
    expect(text()).toMatch(
      /\r\x1b\[K\[2\/4\] sq lock=spin jobs=2 iodepth=32 cpus=2 repeat 2\/2 \| \d+s, about \S+ left$/m,
    );
    expect(text()).toContain('| 123k IOPS');
    progress.finished(run, 2);
    expect(text()).toContain('\r\x1b[Ksq lock=spin cpus=8 jobs=2 iodepth=32: 200k IOPS');
    progress.end();
    expect(text().endsWith('\r\x1b[K')).toBe(true);
  });

  it('elsewhere, writes one line per finished run and nothing else; quiet, nothing at all', () => {
    const lines = recorder();
    const progress = new SweepProgress(lines.out, 'lines', 4, 4000, 1);
    progress.start(spec, 0, 0);
    progress.live(1000);
    progress.finished(run, 1);
    progress.end();
    expect(lines.text()).toBe(
      'sq lock=spin cpus=8 jobs=2 iodepth=32: 200k IOPS  p99 12.9us  fairness 0.998  contention 10.0%\n',
    );
    const quiet = recorder();
    const silent = new SweepProgress(quiet.out, 'quiet', 4, 4000, 1);
    silent.start(spec, 0, 0);
    silent.live(1000);
    silent.finished(run, 1);
    silent.end();
    expect(quiet.text()).toBe('');
  });

  it('writes times as fio does', () => {
    expect(formatClock(42_000)).toBe('42s');
    expect(formatClock(65_000)).toBe('1m05s');
  });
});

// The fixtures' latencies rise with the percentile.
describe('fixtures', () => {
  it('make latency figures that rise with p', () => {
    const figures = latency({ 50: 10, 99: 20 });
    expect(figures.percentiles['50.000000']).toBe(10);
    expect(figures.percentiles['99.900000']).toBe(20);
  });
});

/**
 * A point's result in fio's own JSON format (`fio --output-format=json+` with group_reporting,
 * slat_percentiles and lat_percentiles: one job standing for all of them), so that tools that
 * read fio's output, fio-plot and fio's own fio_jsonplus_clat2csv among them, read vblk-mq's
 * too; vblk-mq's own figures go in an extra top-level object, `"vblk-mq"`.
 *
 * Field by field as fio 3 writes them: sizes in bytes and KiB (`bw` is KiB/s), `runtime` in ms,
 * latencies in ns with `percentile` and json+'s `bins` under each of `slat_ns`, `clat_ns` and
 * `lat_ns` (fio writes both only where percentiles are on, and only for a latency with samples),
 * the latency distribution of clat in `latency_ns`/`latency_us`/`latency_ms` (% of requests per
 * bucket), `usr_cpu`/`sys_cpu` in % of the runtime. fio samples IOPS and bandwidth every 500 ms;
 * vblk-mq has one figure per run, so the `*_min`, `*_max`, `*_mean`, `*_dev` and `*_samples`
 * fields describe the runs of the point (--repeat), and a single run has a deviation of 0. Fields
 * fio has but vblk-mq cannot fill truthfully (iodepth_level, the write and trim sides' figures)
 * are left out or zero.
 *
 * Files are named as fio-plot's bench-fio names its output, so that fio-plot reads a folder per
 * series: `<DIR>/<mode>-<lock>-<cpus>cpu/<bs>/randread-<iodepth>-<jobs>.json`.
 */
import path from 'node:path';
import type { MachineInfo, RunResult } from './result.js';
import { formatSize } from './format.js';
import { latencyDistribution, type LatencyFigures } from './latency.js';
import { iopsOf, rangeOf, runsOf } from './spread.js';

/** fio's `rw` of every vblk-mq run: the bench is fio's rw=randread. */
const RW = 'randread';

/** Where the fio-format file of `run` goes under `dir`. */
export function fioJsonPath(dir: string, run: RunResult, withIothreads = false): string {
  // --explain runs mq with one IO thread and with several: a series of each.
  const iothreads = withIothreads && run.mode === 'mq' ? `-${run.iothreads}iothread` : '';
  const series = `${run.mode}-${run.lock}${iothreads}-${run.cpus}cpu`;
  return path.join(dir, series, formatSize(run.settings.bs), `${RW}-${run.iodepth}-${run.jobs}.json`);
}

/**
 * A latency as fio json+ writes `slat_ns`, `clat_ns` and `lat_ns` (stat.c, add_ddir_lat_json):
 * min, max, mean, stddev and N, then, when it has samples, `percentile` and `bins`.
 */
function latencyStats(figures: LatencyFigures): Record<string, unknown> {
  const { min, max, mean, stddev, count } = figures;
  const stats: Record<string, unknown> = { min, max, mean, stddev, N: count };
  if (count > 0) {
    stats['percentile'] = figures.percentiles;
    stats['bins'] = figures.bins ?? {};
  }
  return stats;
}

/** The population standard deviation of `values` (fio's `*_dev` over its samples). */
function deviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
}

/** A direction fio did not run: the same fields, all zero. */
function idle(): Record<string, number> {
  return { io_bytes: 0, io_kbytes: 0, bw_bytes: 0, bw: 0, iops: 0, runtime: 0, total_ios: 0 };
}

/**
 * The fio-format JSON of a point (its median run, and the spread over its runs).
 * @param startedAt when the sweep ran, for fio's `timestamp` and `time`
 */
export function fioJsonOf(run: RunResult, machine: MachineInfo, startedAt: Date): Record<string, unknown> {
  const bs = run.settings.bs;
  const seconds = run.runtimeMs / 1000;
  const ios = Math.round(run.iops * seconds);
  const iopsRuns = runsOf(run).map(iopsOf);
  const iopsRange = rangeOf(run, iopsOf);
  const kib = (bytes: number): number => bytes / 1024;
  const { batching } = run.settings;
  const read = {
    io_bytes: ios * bs,
    io_kbytes: Math.round(kib(ios * bs)),
    bw_bytes: Math.round(run.bwBytesPerSec),
    bw: Math.round(kib(run.bwBytesPerSec)),
    iops: run.iops,
    runtime: Math.round(run.runtimeMs),
    total_ios: ios,
    short_ios: 0,
    drop_ios: 0,
    slat_ns: latencyStats(run.slatNs),
    clat_ns: latencyStats(run.clatNs),
    lat_ns: latencyStats(run.latNs),
    bw_min: Math.round(kib(iopsRange.min * bs)),
    bw_max: Math.round(kib(iopsRange.max * bs)),
    bw_agg: 100,
    bw_mean: kib(run.bwBytesPerSec),
    bw_dev: kib(deviation(iopsRuns) * bs),
    bw_samples: iopsRuns.length,
    iops_min: Math.round(iopsRange.min),
    iops_max: Math.round(iopsRange.max),
    iops_mean: run.iops,
    iops_stddev: deviation(iopsRuns),
    iops_samples: iopsRuns.length,
  };
  const cpuShare = (us: number): number => (100 * us) / (run.runtimeMs * 1000);
  return {
    'fio version': `vblk-mq-${machine.version ?? 'unknown'}`,
    timestamp: Math.floor(startedAt.getTime() / 1000),
    timestamp_ms: startedAt.getTime(),
    time: startedAt.toString(),
    'global options': {
      ioengine: 'vblk-mq',
      group_reporting: '1',
      slat_percentiles: '1',
      lat_percentiles: '1',
      runtime: String(seconds),
      iodepth_batch_submit: String(batching.submit),
      iodepth_batch_complete_min: String(batching.completeMin),
      iodepth_batch_complete_max: String(batching.completeMax),
    },
    jobs: [
      {
        jobname: `${run.mode}-${run.lock}`,
        groupid: 0,
        error: 0,
        'job options': {
          rw: RW,
          bs: formatSize(bs),
          iodepth: String(run.iodepth),
          numjobs: String(run.jobs),
        },
        read,
        write: idle(),
        trim: idle(),
        job_runtime: Math.round(run.runtimeMs),
        usr_cpu: cpuShare(run.cpuUserUs),
        sys_cpu: cpuShare(run.cpuSystemUs),
        ctx: run.voluntaryContextSwitches + run.involuntaryContextSwitches,
        ...latencyDistribution(run.clatNs),
      },
    ],
    'vblk-mq': {
      mode: run.mode,
      lock: run.lock,
      cpus: run.cpus,
      iothreads: run.iothreads,
      deviceThreads: run.deviceThreads,
      settings: run.settings,
      repeats: run.repeats,
      iops: { median: run.iops, min: iopsRange.min, max: iopsRange.max },
      locks: run.locks,
      machine,
    },
  };
}

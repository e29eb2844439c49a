/**
 * The package as users get it: build, `npm pack`, install the tarball into a throwaway project
 * outside the repository, and use it there by its name.
 *
 *  - A plain ESM script imports `vblk-mq`, `vblk-mq/sync` and `vblk-mq/ring`, shares an
 *    AdaptiveLock, a Ring and two Doorbells with a worker thread through their handles, and
 *    checks the result.
 *  - The shipped type declarations type-check a consumer file under `strict` with
 *    module/moduleResolution nodenext, node16 and bundler, and no @types/node.
 *
 * Offline: the install uses a fresh, empty npm cache and `--offline`. The runtime dependencies
 * (piscina and whatever of its optional dependencies this platform has) are copied from the
 * repository's node_modules into the throwaway project first, so npm finds them satisfied and
 * fetches nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { childNpmEnv, isInside, makeTempDir, REPO_ROOT, runCommand, TSC, type TempDir } from './helpers/commands.js';

/** Build, pack and install together (a cold build on 2 busy cores takes ~20 s). */
const SETUP_MS = 90_000;
const TEST_MS = 60_000;

interface PackedFile {
  path: string;
  size: number;
}
interface PackResult {
  filename: string;
  files: PackedFile[];
  size: number;
  unpackedSize: number;
}

let temp: TempDir | undefined;
let app = '';
let packed: PackResult;

/** Copies `name` and, recursively, its dependencies from the repository's node_modules into `app/node_modules`. */
function copyDependency(name: string, optional: boolean, done: Set<string>): void {
  if (done.has(name)) return;
  const from = path.join(REPO_ROOT, 'node_modules', name);
  if (!fs.existsSync(path.join(from, 'package.json'))) {
    if (optional) return; // e.g. a native helper for another platform
    throw new Error(`runtime dependency ${name} is not in ${path.join(REPO_ROOT, 'node_modules')}: run npm ci first`);
  }
  done.add(name);
  fs.cpSync(from, path.join(app, 'node_modules', name), { recursive: true, dereference: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8')) as Manifest;
  for (const dep of Object.keys(manifest.dependencies ?? {})) copyDependency(dep, false, done);
  for (const dep of Object.keys(manifest.optionalDependencies ?? {})) copyDependency(dep, true, done);
}

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * The consumer script: a single file that is both the main thread and the worker.
 * Main and worker increment a plain (non-atomic) shared counter under one AdaptiveLock, and the
 * worker streams numbered items through a lock-free SPSC Ring that the main thread drains, each
 * side waiting on its own Doorbell, which the other rings (the worker after a push, the main
 * thread after a pop).
 */
const CONSUMER_MJS = `
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import * as vblk from 'vblk-mq';
import { AdaptiveLock, Doorbell, LockOwnershipError, PollWindow, waitUntil } from 'vblk-mq/sync';
import { createRing, GuardedRing, MultiProducerRing, openRing, Ring } from 'vblk-mq/ring';

const ROUNDS = 20_000;
const WAIT_MS = 10_000;

if (isMainThread) {
  assert.equal(vblk.AdaptiveLock, AdaptiveLock, 'vblk-mq and vblk-mq/sync share one AdaptiveLock');
  assert.equal(vblk.Ring, Ring, 'vblk-mq and vblk-mq/ring share one Ring');
  assert.equal(vblk.GuardedRing, GuardedRing, 'vblk-mq and vblk-mq/ring share one GuardedRing');
  await assert.rejects(import('vblk-mq/dist/src/sync/spin-lock.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  // The multi-producer ring's test hooks stay out of reach.
  const hooks = import('vblk-mq/dist/src/ring/multi-producer-ring.js');
  await assert.rejects(hooks, { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  const picked = createRing({ capacity: 4, slotWords: 1, producers: 'multi' });
  assert.ok(picked instanceof MultiProducerRing && openRing(picked.handle) instanceof MultiProducerRing);
  assert.equal(createRequire(import.meta.url)('vblk-mq/package.json').name, 'vblk-mq');

  const lock = new AdaptiveLock();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const ring = new Ring({ capacity: 64, slotWords: 2 });
  const dataBell = new Doorbell(); // this thread consumes: the worker rings it after each push
  const spaceBell = new Doorbell(); // the worker produces: this thread rings it after each pop
  const window = new PollWindow(32_768);
  const bells = { dataBell: dataBell.handle, spaceBell: spaceBell.handle };
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { lock: lock.handle, ring: ring.handle, counter, ...bells },
  });
  const exited = new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', resolve);
  });

  const item = new Int32Array(2);
  for (let i = 0; i < ROUNDS; i++) {
    lock.lock();
    counter[0] = counter[0] + 1; // not atomic: only the lock keeps it exact
    lock.unlock();
    while (!ring.pop(item)) {
      const got = waitUntil(() => !ring.isEmpty(), dataBell, window, WAIT_MS);
      assert.ok(got, 'no item from the worker for ' + WAIT_MS + ' ms');
    }
    spaceBell.ring();
    assert.deepEqual([...item], [i, Math.imul(i, 7)], 'items arrive in order');
  }
  assert.equal(await exited, 0);

  assert.equal(counter[0], 2 * ROUNDS);
  const stats = lock.stats();
  assert.equal(stats.acquisitions, 2 * ROUNDS);
  assert.ok(stats.contentions <= stats.acquisitions);
  assert.equal(lock.holder(), -1);
  assert.throws(() => lock.unlock(), LockOwnershipError);
  assert.ok(ring.isEmpty());
  const { acquisitions, contentions } = stats;
  console.log('consumer ok ' + JSON.stringify({ counter: counter[0], acquisitions, contentions }));
} else {
  const lock = AdaptiveLock.from(workerData.lock);
  const ring = Ring.from(workerData.ring);
  const dataBell = Doorbell.from(workerData.dataBell);
  const spaceBell = Doorbell.from(workerData.spaceBell);
  const window = new PollWindow(32_768);
  const counter = workerData.counter;
  for (let i = 0; i < ROUNDS; i++) {
    lock.lock();
    counter[0] = counter[0] + 1;
    lock.unlock();
    while (!ring.push([i, Math.imul(i, 7)])) {
      if (!waitUntil(() => !ring.isFull(), spaceBell, window, WAIT_MS)) {
        throw new Error('the main thread took no item for ' + WAIT_MS + ' ms');
      }
    }
    dataBell.ring();
  }
}
`;

/** The TypeScript consumer: uses the public API with its types, and checks that wrong uses are errors. */
const CONSUMER_TS = `
import * as vblk from 'vblk-mq';
import {
  AdaptiveLock,
  SpinLock,
  TicketLock,
  createLock,
  openLock,
  lockBytes,
  LOCK_CLASSES,
  LockOwnershipError,
  LockPoisonedError,
  Doorbell,
  DOORBELL_SOURCES,
  PollWindow,
  waitUntil,
  waitUntilAsync,
  LockHold,
  type DoorbellHandle,
  type Lock,
  type LockHandle,
  type LockKindName,
  type LockStats,
} from 'vblk-mq/sync';
import {
  Ring,
  GuardedRing,
  MultiProducerRing,
  createRing,
  openRing,
  ringBytes,
  type AnyRing,
  type GuardedRingOptions,
  type RingHandle,
  type RingOptions,
  type RingShape,
} from 'vblk-mq/ring';

const shape: GuardedRingOptions = { capacity: 16, slotWords: 4, guard: 'adaptive' };
const buffer = new SharedArrayBuffer(AdaptiveLock.BYTES + GuardedRing.byteLength(shape) + Doorbell.BYTES);

const lock: Lock = new AdaptiveLock({ buffer, byteOffset: 0, spinMax: 64 });
const handle: LockHandle = lock.handle;
const same: AdaptiveLock = AdaptiveLock.from(handle);
const any: Lock = openLock(handle);
const acquired: boolean = same.lock(10) && any.tryLock();
const stats: LockStats = lock.stats();
const waited: number = stats.waitNsTotal / Math.max(1, stats.contentions) + stats.spins + stats.parks + stats.timeouts;
const kinds: LockKindName[] = ['spin', 'ticket', 'adaptive'];
const sizes: number[] = kinds.map((kind) => lockBytes(kind) + LOCK_CLASSES[kind].BYTES);
const others: Lock[] = [new SpinLock(), new TicketLock({ spin: 0 }), createLock('adaptive')];
const errors: Error[] = [new LockOwnershipError('x'), new LockPoisonedError('y')];

const ring = new GuardedRing({ ...shape, buffer, byteOffset: AdaptiveLock.BYTES });
const ringHandle: RingHandle<'guarded-ring'> = ring.handle;
const view: GuardedRing = GuardedRing.from(ringHandle);
const pushed: boolean = view.push([1, 2, 3, 4]);
const out = new Int32Array(ring.slotWords * 2);
const popped: number = ring.popBatch(out, 2);
const guardStats: LockStats = ring.lockStats();
const guardKind: LockKindName = ring.guard.kind;
const spscOptions: RingOptions = { capacity: 8, slotWords: 1 };
const spsc: Ring = Ring.from(new Ring(spscOptions).handle);
const multi = new MultiProducerRing({ capacity: 8, slotWords: 1 });
const published: LockStats = multi.publishStats();
const pickShape: RingShape = { capacity: 8, slotWords: 1, guard: 'spin', guardPops: false };
const picked: AnyRing = createRing(pickShape);
const reopened: AnyRing = openRing(picked.handle);
const bytes: number = ringBytes(pickShape) + Ring.byteLength(spscOptions) + MultiProducerRing.byteLength(spscOptions);

const bell = new Doorbell(new Int32Array(buffer, buffer.byteLength - Doorbell.BYTES, Doorbell.BYTES / 4), 0);
const ownBell = new Doorbell();
const bellHandle: DoorbellHandle = ownBell.handle;
const notified: boolean = Doorbell.from(bellHandle).ring(DOORBELL_SOURCES - 1);
const wakeups: number = ownBell.wakeups() + ownBell.wakeups(0);
const parked: 'ready' | 'woken' | 'timed-out' = bell.park(() => true, 0);
const ready: boolean = waitUntil(() => !ring.isEmpty(), bell, new PollWindow(4000), 0);
const fromRoot: typeof Ring = vblk.Ring;

const gotAsync: Promise<boolean> = lock.lockAsync(10);
const scoped: number = lock.withLock(() => 1);
const scopedAsync: Promise<string> = lock.withLockAsync(async () => 'x');
const holdAsync: Promise<LockHold> = lock.holdAsync();
function scopedUse(): boolean {
  using held = lock.hold(); // released when the function returns
  return held.isHeld;
}
const dataAsync: Promise<boolean> = waitUntilAsync(() => !spsc.isEmpty(), bell, 0);
const spaceAsync: Promise<boolean> = waitUntilAsync(() => !spsc.isFull(), ownBell, 0, { keepAlive: false });
const parkedAsync: Promise<'ready' | 'woken' | 'timed-out'> = bell.parkAsync(() => true, 0);

// @ts-expect-error lock() takes a timeout in milliseconds
lock.lock('1s');
// @ts-expect-error a GuardedRing's guard is a lock kind
new GuardedRing({ capacity: 8, slotWords: 1, guard: 'rwlock' });
// @ts-expect-error a Ring has no guard: a guarded ring is a GuardedRing
new Ring({ capacity: 8, slotWords: 1, guard: 'spin' });
// @ts-expect-error a Ring opens only a handle of a Ring
Ring.from(ringHandle);
// @ts-expect-error a ring handle is not a lock handle
SpinLock.from(ringHandle);
// @ts-expect-error stats are numbers
const wrong: string = stats.acquisitions;

export { acquired, waited, sizes, others, errors, pushed, popped, guardStats, guardKind, published, reopened, bytes };
export { notified, wakeups, ready, parked, fromRoot, wrong };
export { gotAsync, scoped, scopedAsync, holdAsync, scopedUse, dataAsync, spaceAsync, parkedAsync };
`;

/** tsconfig of the consumer for one module system. */
function consumerTsconfig(module: string, moduleResolution: string): string {
  return JSON.stringify(
    {
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        lib: ['ES2022'],
        module,
        moduleResolution,
        types: [],
        noEmit: true,
        skipLibCheck: false,
        noUnusedLocals: true,
      },
      files: ['consumer.ts'],
    },
    null,
    2,
  );
}

const MODULE_SYSTEMS = [
  { name: 'nodenext', module: 'nodenext', moduleResolution: 'nodenext' },
  { name: 'node16', module: 'node16', moduleResolution: 'node16' },
  { name: 'bundler', module: 'esnext', moduleResolution: 'bundler' },
] as const;

describe('the packed package, installed in a project of its own', () => {
  beforeAll(() => {
    // No prepare/prepack script: build here so that the tarball holds today's dist.
    runCommand(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: REPO_ROOT, timeoutMs: 60_000 });

    temp = makeTempDir('pack');
    expect(isInside(temp.path, REPO_ROOT), `${temp.path} must be outside the repository`).toBe(false);
    const packDir = path.join(temp.path, 'pack');
    app = path.join(temp.path, 'app');
    fs.mkdirSync(packDir);
    fs.mkdirSync(path.join(app, 'node_modules'), { recursive: true });

    const env = childNpmEnv();
    const pack = runCommand('npm', ['pack', '--json', '--pack-destination', packDir, '--loglevel=error'], {
      cwd: REPO_ROOT,
      timeoutMs: 30_000,
      env,
    });
    packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as PackResult[])[0]!;
    const tarball = path.join(packDir, packed.filename);
    expect(fs.existsSync(tarball), tarball).toBe(true);

    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ name: 'vblk-mq-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2),
    );
    const repoManifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
    const copied = new Set<string>();
    for (const dep of Object.keys(repoManifest.dependencies ?? {})) copyDependency(dep, false, copied);
    for (const dep of Object.keys(repoManifest.optionalDependencies ?? {})) copyDependency(dep, true, copied);

    runCommand(
      'npm',
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
        '--cache',
        path.join(temp.path, 'npm-cache'),
        tarball,
      ],
      { cwd: app, timeoutMs: 60_000, env },
    );
    fs.writeFileSync(path.join(app, 'consumer.mjs'), CONSUMER_MJS);
    fs.writeFileSync(path.join(app, 'consumer.ts'), CONSUMER_TS);
    for (const system of MODULE_SYSTEMS) {
      fs.writeFileSync(
        path.join(app, `tsconfig.${system.name}.json`),
        consumerTsconfig(system.module, system.moduleResolution),
      );
    }
  }, SETUP_MS);

  afterAll(() => {
    temp?.remove();
  });

  it('ships the compiled library, its types, the workers, README and LICENSE, and nothing else', () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/sync/index.js',
      'dist/src/sync/index.d.ts',
      'dist/src/ring/index.js',
      'dist/src/ring/index.d.ts',
      'dist/workers/vcpu.js',
      'dist/workers/iothread.js',
      'dist/workers/nullblk.js',
    ]) {
      expect(files, needed).toContain(needed);
    }
    const unwanted = files.filter(
      (f) =>
        !['package.json', 'README.md', 'LICENSE'].includes(f) &&
        !(/^dist\/(src|workers)\//.test(f) && /\.(js|d\.ts)$/.test(f)),
    );
    expect(unwanted, 'only package.json, README.md, LICENSE and dist/{src,workers}/**/*.{js,d.ts}').toEqual([]);
  });

  it('is installed as a copy in a project outside the repository', () => {
    const installed = path.join(app, 'node_modules', 'vblk-mq');
    expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(isInside(fs.realpathSync(installed), REPO_ROOT)).toBe(false);
    expect(fs.existsSync(path.join(installed, 'dist', 'src', 'index.d.ts'))).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      engines?: { node?: string };
    };
    // The Node.js lines the suite runs on (npm run test:node), named one by one.
    expect(manifest.engines?.node).toBe('^20.19.0 || ^22.12.0 || ^24.0.0 || ^26.0.0');
  });

  it(
    'works from plain JavaScript ESM: a lock and a ring shared with a worker through their handles',
    () => {
      const { stdout } = runCommand(process.execPath, ['consumer.mjs'], { cwd: app, timeoutMs: 45_000 });
      expect(stdout).toMatch(/^consumer ok \{"counter":40000,"acquisitions":40000,/m);
    },
    TEST_MS,
  );

  it.each(MODULE_SYSTEMS.map((s) => [s.name]))(
    'type-checks a strict TypeScript consumer against the shipped types (module %s)',
    (name) => {
      runCommand(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], { cwd: app, timeoutMs: 45_000 });
    },
    TEST_MS,
  );
});

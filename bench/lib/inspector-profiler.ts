/**
 * Sampling profiles of the process that calls it (node:inspector, the same data as --cpu-prof and
 * --heap-prof), started and stopped on a bench driver's request. One profile at a time.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

let session: Session | null = null;

function open(): Session {
  if (session) throw new Error('a profile is already running');
  session = new Session();
  session.connect();
  return session;
}

function close(path: string, profile: unknown): void {
  session!.disconnect();
  session = null;
  writeFileSync(path, JSON.stringify(profile));
}

/** CPU profile of this process from now until `stopCpuProfile`. */
export async function startCpuProfile(intervalUs: number): Promise<void> {
  const s = open();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await s.post('Profiler.start');
}

/** Stops the CPU profile, writes it to `path` (a `.cpuprofile`) and returns it. */
export async function stopCpuProfile(path: string) {
  if (!session) throw new Error('no profile running');
  const { profile } = await session.post('Profiler.stop');
  await session.post('Profiler.disable');
  close(path, profile);
  return profile;
}

/** Allocation sampling from now until `stopHeapSampling`: where a request's garbage comes from. */
export async function startHeapSampling(): Promise<void> {
  const s = open();
  await s.post('HeapProfiler.enable');
  await s.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}

/** Stops the allocation sampling and writes it to `path` (a `.heapprofile`). */
export async function stopHeapSampling(path: string): Promise<void> {
  if (!session) throw new Error('no heap sampling running');
  const { profile } = await session.post('HeapProfiler.stopSampling');
  await session.post('HeapProfiler.disable');
  close(path, profile);
}

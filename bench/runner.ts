// Runs the workload's phases: in each, `concurrency` clients take iteration numbers from a shared counter
// until the phase's count (or its time) is used up. Each operation's samples are filed with the wall time
// of the phase they ran in, which is what its requests/s are computed over.
import { Recorder, scimClient, type Client, type Sample } from "./client.ts";
import { status } from "./progress.ts";

export interface PhaseBudget {
  concurrency: number;
  iterations: number;
  /** When set, the phase runs this long instead of `iterations` times. */
  durationSeconds: number | null;
}

export interface MeasuredOp {
  samples: Sample[];
  wallSeconds: number;
  concurrency: number;
}

/** Every operation measured on one tenant, by name. */
export type Measurements = Map<string, MeasuredOp>;

/** Runs `step(k)` for k = 0, 1, ... across `concurrency` clients; returns the wall time in seconds. */
export async function runPhase(budget: PhaseBudget, step: (k: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  const deadline = budget.durationSeconds === null ? Number.POSITIVE_INFINITY : started + budget.durationSeconds * 1000;
  const limit = budget.durationSeconds === null ? budget.iterations : Number.POSITIVE_INFINITY;
  let next = 0;
  const client = async () => {
    while (next < limit && performance.now() < deadline) {
      const k = next++;
      await step(k);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, budget.concurrency) }, client));
  return (performance.now() - started) / 1000;
}

/** Adds samples of `op` measured over `wallSeconds` (an operation may run in more than one phase). */
export function file(measurements: Measurements, op: string, samples: Sample[], wallSeconds: number, concurrency: number): void {
  const previous = measurements.get(op);
  if (previous) {
    previous.samples.push(...samples);
    previous.wallSeconds += wallSeconds;
  } else {
    measurements.set(op, { samples, wallSeconds, concurrency });
  }
}

export interface PhaseRunner {
  /** The run's budget (--concurrency, --iterations, --duration) with some fields overridden. */
  budget(override?: Partial<PhaseBudget>): PhaseBudget;
  /** Runs one phase with its own recorder and files what it measured; prints one status line. */
  run(name: string, budget: PhaseBudget, step: (client: Client, k: number) => Promise<void>): Promise<void>;
}

export function phaseRunner(baseUrl: string, token: string, defaults: PhaseBudget, measurements: Measurements): PhaseRunner {
  return {
    budget: (override = {}) => ({ ...defaults, ...override }),
    async run(name, budget, step) {
      const recorder = new Recorder();
      const client = scimClient(baseUrl, token, recorder);
      const wallSeconds = await runPhase(budget, (k) => step(client, k));
      let errors = 0;
      for (const [op, samples] of recorder.samples) {
        file(measurements, op, samples, wallSeconds, budget.concurrency);
        errors += samples.filter((s) => s.status >= 400).length;
      }
      status(`  ${name}: ${wallSeconds.toFixed(1)}s${errors > 0 ? `, ${errors} error responses` : ""}`);
    },
  };
}

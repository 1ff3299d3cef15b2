// CPU time of password sync's deliberate cost: PBKDF2-SHA-256 (PBKDF2_ITERATIONS) over HMAC-SHA-256(pepper,
// password), the same src/scim/password.ts code the worker runs on every password write (hashPassword) and
// check (verifyPassword).
//
// Why here and not from the worker: workerd reports a request's CPU time only in production (Workers Logs /
// tail `cpuTime`); locally there is no per-request CPU figure, and the bench's latency is wall time that
// includes D1, the local proxy and queuing. So the bench measures the hash itself in its own Node process,
// with process.cpuUsage() (user + system time of the whole process, so the libuv thread that WebCrypto's
// PBKDF2 runs on is counted), one hash at a time with nothing else running in the process. Node's WebCrypto
// is OpenSSL and workerd's is BoringSSL: the same algorithm and iteration count, comparable but not identical
// speed, and a production machine is not this one.
import { hashPassword, PBKDF2_ITERATIONS, verifyPassword } from "../src/scim/password.ts";

export interface PasswordCpu {
  iterations: number;
  samples: number;
  /** Median CPU ms of one hashPassword (a password write: POST/PUT/PATCH with `password`). */
  hashCpuMs: number;
  /** Median CPU ms of one verifyPassword (the application's password check). */
  verifyCpuMs: number;
  /** Median wall ms of one hashPassword, for comparison (equal to CPU when nothing else competes). */
  hashWallMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function measure(run: () => Promise<unknown>): Promise<{ cpuMs: number; wallMs: number }> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall };
}

export async function passwordCpu(samples = 9): Promise<PasswordCpu> {
  const pepper = "bench-pepper-not-a-secret";
  const password = "Bench-Passw0rd!";
  const stored = await hashPassword(password, pepper);
  const hash: { cpuMs: number; wallMs: number }[] = [];
  const verify: number[] = [];
  for (let i = 0; i < samples; i++) {
    hash.push(await measure(() => hashPassword(password, pepper)));
    verify.push((await measure(() => verifyPassword(password, stored, pepper))).cpuMs);
  }
  return {
    iterations: PBKDF2_ITERATIONS,
    samples,
    hashCpuMs: median(hash.map((h) => h.cpuMs)),
    verifyCpuMs: median(verify),
    hashWallMs: median(hash.map((h) => h.wallMs)),
  };
}

export function passwordCpuLine(p: PasswordCpu): string {
  return (
    `Password sync CPU (PBKDF2-SHA-256, ${p.iterations.toLocaleString("en-US")} iterations, over HMAC-SHA-256 with the pepper; ` +
    `src/scim/password.ts in the bench's Node process, process.cpuUsage, median of ${p.samples}): ` +
    `hash ${p.hashCpuMs.toFixed(1)} ms CPU (${p.hashWallMs.toFixed(1)} ms wall), verify ${p.verifyCpuMs.toFixed(1)} ms CPU. ` +
    `workerd reports CPU time only in production; its BoringSSL is comparable, not identical.`
  );
}

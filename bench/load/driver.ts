// Holds the request rate: each tenant gets `rps` requests per second on a fixed schedule (open loop), so a
// slow server shows up as latency and, past --max-in-flight, as requests the generator could not send,
// never as a quietly lower rate. Issuing stops at the deadline; requests in flight then have their own
// timeout, so the run ends by itself.
import type { LoadOptions } from "./args.ts";
import type { ScimClient } from "./client.ts";
import type { TenantModel } from "./model.ts";
import { nextOperation } from "./ops.ts";

export interface HoldResult {
  /** Requests due by the schedule. */
  due: number;
  /** Due requests not sent because the tenant already had --max-in-flight outstanding. */
  skipped: number;
  seconds: number;
}

const TICK_MS = 5;
const PROGRESS_EVERY_MS = 10_000;

export async function holdLoad(tenants: TenantModel[], client: ScimClient, options: LoadOptions, log: (line: string) => void): Promise<HoldResult> {
  const state = tenants.map((tenant, i) => ({ tenant, sent: 0, skipped: 0, inFlight: 0, phase: i / tenants.length }));
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  const end = start + options.seconds * 1000;
  let nextProgress = start + PROGRESS_EVERY_MS;

  while (performance.now() < end) {
    const elapsed = (performance.now() - start) / 1000;
    for (const s of state) {
      // Tenants are spread over the first second so they do not all fire on the same tick.
      const due = Math.floor(elapsed * options.rps + s.phase);
      while (s.sent + s.skipped < due) {
        if (s.inFlight >= options.maxInFlight) {
          s.skipped += 1;
          continue;
        }
        s.sent += 1;
        s.inFlight += 1;
        const op = nextOperation(s.tenant);
        const request: Promise<void> = op(s.tenant, client)
          .catch((error: unknown) => client.recorder.fail("generator", String(error)))
          .finally(() => {
            s.inFlight -= 1;
            inFlight.delete(request);
          });
        inFlight.add(request);
      }
    }
    if (performance.now() >= nextProgress) {
      nextProgress += PROGRESS_EVERY_MS;
      const r = client.recorder;
      log(`  ${Math.round(elapsed)}s: ${r.requests} requests, ${inFlight.size} in flight, 5xx ${r.count((s) => s >= 500)}, unexpected ${r.unexpected}`);
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(inFlight);
  const due = state.reduce((sum, s) => sum + s.sent + s.skipped, 0);
  return { due, skipped: state.reduce((sum, s) => sum + s.skipped, 0), seconds };
}

// Okta's import: GET /Users page after page with startIndex, from one client, as Okta does it. It also
// checks the paging: a complete walk must see every user exactly once.
import { Recorder, scimClient } from "./client.ts";
import { OPS } from "./ops.ts";
import { status } from "./progress.ts";
import { file, type Measurements } from "./runner.ts";

export const PAGE = 100;

export interface WalkResult {
  totalResults: number;
  pages: number;
  pagesWalked: number;
  usersSeen: number;
  uniqueIds: number;
  /** Every page walked and every user seen exactly once. */
  complete: boolean;
  seconds: number;
}

/** The startIndex of every page walked: all of them, or with more pages than `walkPages` (> 0) the first and last halves. */
function pageStarts(pages: number, walkPages: number): number[] {
  const indexes: number[] = [];
  if (walkPages === 0 || pages <= walkPages) {
    for (let p = 0; p < pages; p++) indexes.push(p);
  } else {
    const head = Math.ceil(walkPages / 2);
    for (let p = 0; p < head; p++) indexes.push(p);
    for (let p = pages - (walkPages - head); p < pages; p++) indexes.push(p);
  }
  return indexes.map((p) => p * PAGE + 1);
}

export async function importWalk(baseUrl: string, token: string, totalUsers: number, walkPages: number, measurements: Measurements): Promise<WalkResult> {
  const recorder = new Recorder();
  const client = scimClient(baseUrl, token, recorder);
  const pages = Math.ceil(totalUsers / PAGE);
  const starts = pageStarts(pages, walkPages);
  const seen = new Set<string>();
  let usersSeen = 0;
  const started = performance.now();
  let lastReport = Date.now();
  for (const [n, startIndex] of starts.entries()) {
    const reply = await client.call(OPS.walkPage.name, "GET", `/Users?startIndex=${startIndex}&count=${PAGE}`);
    const resources = typeof reply.body === "object" && reply.body !== null ? (reply.body as { Resources?: unknown }).Resources : undefined;
    if (Array.isArray(resources)) {
      for (const resource of resources) {
        usersSeen += 1;
        const id = typeof resource === "object" && resource !== null ? (resource as { id?: unknown }).id : undefined;
        if (typeof id === "string") seen.add(id);
      }
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      status(`  okta: import walk ${n + 1}/${starts.length} pages`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  file(measurements, OPS.walkPage.name, recorder.samples.get(OPS.walkPage.name) ?? [], seconds, 1);
  const complete = starts.length === pages && usersSeen === totalUsers && seen.size === totalUsers;
  const verdict = starts.length < pages ? " (sampled)" : complete ? ", each once" : " (INCOMPLETE: users missing or repeated)";
  status(`  okta: import walk of ${starts.length}/${pages} pages: ${seconds.toFixed(1)}s, ${seen.size.toLocaleString("en-US")} distinct users${verdict}`);
  return { totalResults: totalUsers, pages, pagesWalked: starts.length, usersSeen, uniqueIds: seen.size, complete, seconds };
}

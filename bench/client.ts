// The bench's SCIM client: one call = one timed request whose D1 cost is read from the response's
// Server-Timing header (EXPOSE_D1_COST), and one sample recorded under the operation's name.

export interface Cost {
  /** Sequential D1 calls on the request's critical path (src/storage/d1/meter.ts). */
  roundTrips: number;
  rowsRead: number;
  rowsWritten: number;
  queries: number;
  /** D1's own SQL time for the request (the header's `dur`), so harness and CPU contention can be told apart. */
  d1Ms: number;
}

export interface Sample extends Cost {
  ms: number;
  status: number;
}

export interface Reply {
  status: number;
  body: unknown;
  cost: Cost | null;
}

const COST = /d1;dur=([\d.]+);desc="round_trips=(\d+) rows_read=(\d+) rows_written=(\d+) queries=(\d+)"/;

export function parseCost(header: string | null): Cost | null {
  const match = header === null ? null : COST.exec(header);
  if (!match) return null;
  return { d1Ms: Number(match[1]), roundTrips: Number(match[2]), rowsRead: Number(match[3]), rowsWritten: Number(match[4]), queries: Number(match[5]) };
}

/** Samples per operation name, in the order operations were first seen. */
export class Recorder {
  readonly samples = new Map<string, Sample[]>();

  add(op: string, sample: Sample): void {
    let list = this.samples.get(op);
    if (!list) this.samples.set(op, (list = []));
    list.push(sample);
  }
}

export interface Client {
  /** A request under the tenant's SCIM base URL; `op` names it in the results, null = not recorded (setup). */
  call(op: string | null, method: string, path: string, body?: unknown): Promise<Reply>;
}

export class RequestFailed extends Error {}

export function scimClient(baseUrl: string, token: string, recorder: Recorder): Client {
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/scim+json" };
  return {
    async call(op, method, path, body) {
      const init: RequestInit = { method, headers: body === undefined ? headers : { ...headers, "Content-Type": "application/scim+json" } };
      if (body !== undefined) init.body = JSON.stringify(body);
      const started = performance.now();
      let response: Response;
      try {
        response = await fetch(`${baseUrl}${path}`, init);
      } catch (error) {
        throw new RequestFailed(`${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const text = await response.text();
      const ms = performance.now() - started;
      const cost = parseCost(response.headers.get("Server-Timing"));
      if (op !== null) {
        // Without the header the figures would silently read as zero: the server is not the one the bench started.
        if (cost === null) throw new RequestFailed(`${method} ${path}: no D1 cost in Server-Timing (is EXPOSE_D1_COST "true"?)`);
        recorder.add(op, { ms, status: response.status, ...cost });
      }
      let parsed: unknown = null;
      if (text !== "") {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: response.status, body: parsed, cost };
    },
  };
}

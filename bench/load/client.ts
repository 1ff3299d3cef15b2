// The load test's HTTP client: one place that sends a request, times it, and records its outcome by
// operation, so the report can give latency percentiles per operation and count every non-2xx.

export interface Outcome {
  status: number;
  /** Parsed body, or null (204, empty, not JSON). */
  json: Record<string, unknown> | null;
}

export interface Failure {
  op: string;
  detail: string;
}

/** Per request, generous: a request still unanswered after this is a failure, and the run still ends. */
const REQUEST_TIMEOUT_MS = 30_000;
const KEPT_FAILURES = 20;

export class Recorder {
  readonly latencies = new Map<string, number[]>();
  readonly statuses = new Map<number, number>();
  /** Requests that got no HTTP answer (connection error, timeout). */
  networkErrors = 0;
  /** Answers other than the one the operation expects (any 4xx/5xx included). */
  unexpected = 0;
  readonly failures: Failure[] = [];

  record(op: string, ms: number, status: number): void {
    let list = this.latencies.get(op);
    if (!list) this.latencies.set(op, (list = []));
    list.push(ms);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  fail(op: string, detail: string): void {
    this.unexpected += 1;
    if (this.failures.length < KEPT_FAILURES) this.failures.push({ op, detail });
  }

  get requests(): number {
    let total = 0;
    for (const list of this.latencies.values()) total += list.length;
    return total + this.networkErrors;
  }

  count(predicate: (status: number) => boolean): number {
    let total = 0;
    for (const [status, n] of this.statuses) if (predicate(status)) total += n;
    return total;
  }
}

export class ScimClient {
  readonly origin: string;
  readonly recorder: Recorder;

  constructor(origin: string, recorder: Recorder) {
    this.origin = origin;
    this.recorder = recorder;
  }

  /**
   * Sends one request as tenant `token`; returns its outcome, or null when no answer came. An answer other
   * than `expected` is recorded as a failure here, so callers only act on the expected one.
   */
  async send(op: string, token: string, method: string, path: string, expected: number, body?: unknown): Promise<Outcome | null> {
    const started = performance.now();
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.origin}/scim/v2${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "application/scim+json",
          ...(body !== undefined ? { "Content-Type": "application/scim+json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (error) {
      this.recorder.networkErrors += 1;
      this.recorder.fail(op, `${method} ${path}: no answer (${(error as Error).message})`);
      return null;
    }
    this.recorder.record(op, performance.now() - started, res.status);
    let json: Record<string, unknown> | null = null;
    try {
      json = text === "" ? null : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      json = null;
    }
    if (res.status !== expected) this.recorder.fail(op, `${method} ${path}: ${res.status} (expected ${expected}) ${text.slice(0, 300)}`);
    return { status: res.status, json };
  }
}

// One delivery attempt: a signed JSON POST, a 2xx within DELIVERY_TIMEOUT_MS or it failed. Redirects are not
// followed (a 3xx is a failure): the endpoint is the URL the operator registered, nothing it points elsewhere.
// Used by the queue consumer and by `webhooks test`, so a ping takes exactly the path an event does.
import { DELIVERY_TIMEOUT_MS } from "./schedule.ts";
import { signatureHeader } from "./signing.ts";

export interface Attempt {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string | null;
}

export interface OutgoingWebhook {
  url: string;
  webhookId: string;
  body: string;
  secrets: readonly string[];
  timeoutMs?: number;
  now?: () => number;
}

export async function sendWebhook(hook: OutgoingWebhook): Promise<Attempt> {
  const now = hook.now ?? Date.now;
  const timestamp = Math.floor(now() / 1000);
  const signature = await signatureHeader(hook.secrets, hook.webhookId, timestamp, hook.body);
  const started = now();
  const elapsed = () => Math.max(0, Math.round(now() - started));
  const timeoutMs = hook.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  try {
    const response = await fetch(hook.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "edge-scim-webhooks/1",
        "webhook-id": hook.webhookId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature,
      },
      body: hook.body,
    });
    // Only the status counts; the body is discarded unread so the connection is released.
    await response.body?.cancel();
    const latencyMs = elapsed();
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, latencyMs, error: null };
    const error = response.status >= 300 && response.status < 400 ? `redirect ${response.status} not followed` : `HTTP ${response.status}`;
    return { ok: false, status: response.status, latencyMs, error };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    const message = name === "TimeoutError" || name === "AbortError" ? `no answer within ${timeoutMs / 1000} s` : describe(error);
    return { ok: false, status: null, latencyMs: elapsed(), error: message };
  }
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ""}` : String(error);
  return text.replace(/\s+/g, " ").slice(0, 300);
}

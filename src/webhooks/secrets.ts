// Endpoint signing secrets, in KV under `webhook-secret:<endpointId>` and nowhere else: not in D1 (exports and
// backups), not in logs, not in any response after `webhooks add` / `rotate-secret` print them once. The worker
// must sign with the secret itself, so unlike API keys it cannot store a hash. No KV metadata is written, so a
// key listing never shows a secret.
import { z } from "zod";
import { isSigningSecret } from "./signing.ts";

export const ENDPOINT_ID_PATTERN = /^ep_[a-z2-7]{16}$/;

export const webhookSecretKey = (endpointId: string) => `webhook-secret:${endpointId}`;

export const secretRecordSchema = z.object({
  endpointId: z.string().regex(ENDPOINT_ID_PATTERN),
  secrets: z
    .array(
      z.object({
        secret: z.string().refine(isSigningSecret, "not a whsec_ secret"),
        createdAt: z.string(),
        // Set on the replaced secret by rotate-secret --grace: it keeps signing until then.
        expiresAt: z.string().nullable(),
      }),
    )
    .min(1),
});
export type SecretRecord = z.infer<typeof secretRecordSchema>;

/** The secrets that sign now, newest first. */
export function activeSecrets(record: SecretRecord, now = Date.now()): string[] {
  return record.secrets.filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now).map((s) => s.secret);
}

export function parseSecretRecord(value: unknown): SecretRecord | null {
  const parsed = secretRecordSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

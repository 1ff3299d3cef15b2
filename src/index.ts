import { app } from "./app.ts";
import type { Env } from "./env.ts";
import { scheduled } from "./scheduled.ts";
import { deliverBatch } from "./webhooks/consumer.ts";

export default { fetch: app.fetch, scheduled, queue: deliverBatch } satisfies ExportedHandler<Env>;

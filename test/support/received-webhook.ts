// What the test webhook receiver (test/node/receiver.ts, Node) records, and the port vitest's globalSetup
// provides to the worker tests (test/node/receiver-setup.ts): one declaration for both sides, which the two
// tsconfigs (Node and workerd) both include.
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    receiverPort: number;
  }
}

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
  status: number;
}

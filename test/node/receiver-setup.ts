// vitest globalSetup of the worker project: one webhook receiver for all worker test files, its port
// provided to them (inject("receiverPort")). Tests inside workerd cannot listen on a socket themselves.
import type { TestProject } from "vitest/node";
import { startReceiver } from "./receiver.ts";

// receiverPort is declared in test/support/received-webhook.ts, which receiver.ts imports.

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const receiver = await startReceiver();
  project.provide("receiverPort", receiver.port);
  return () => receiver.close();
}

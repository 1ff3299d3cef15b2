import { createServer } from "node:net";

// Below Linux's ephemeral range (32768-60999), so no socket bound to port 0 (a workerd, a wrangler, a fetch)
// can be handed this port between the probe and the moment the server under test binds it. Asking the kernel
// for port 0 here raced with the many workerd processes a parallel test run starts: "Address already in use".
const LOW = 20_000;
const HIGH = 32_000;
const ATTEMPTS = 100;

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port nobody listens on right now, chosen at random outside the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await listens(port)) return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after ${ATTEMPTS} tries`);
}

// `npm run dev`: a fresh "dev" key for tenant demo on every run, printed with a ready curl line, then
// wrangler dev serving it. A second run must revoke the first run's key.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  basic,
  bearer,
  freePort,
  startDevCommand,
  status,
  stopGroup,
  tempDir,
  TOKEN_IN_TEXT,
  waitFor,
  waitUntilServing,
  type Background,
} from "./helpers.ts";

let persistTo: string;
let running: Background | undefined;

interface DevRun {
  token: string;
  baseUrl: string;
  output: string;
}

/** Starts `npm run dev`, waits for its token and for the server to answer, and leaves it running. */
async function startDev(): Promise<DevRun> {
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  running = startDevCommand(port, persistTo);
  const dev = running;
  const token = await waitFor("the printed token", async () => dev.output().match(TOKEN_IN_TEXT)?.[0] ?? null, dev);
  await waitUntilServing(baseUrl, dev);
  return { token, baseUrl, output: dev.output() };
}

beforeAll(async () => {
  persistTo = await tempDir("dev-cli-");
});

afterAll(async () => {
  await stopGroup(running);
  await rm(persistTo, { recursive: true, force: true });
});

describe("npm run dev", () => {
  let first: DevRun;

  test("prints the demo tenant's token, base URLs and a curl line that works", async () => {
    first = await startDev();
    const spc = `${first.baseUrl}/scim/v2/ServiceProviderConfig`;
    expect(first.output).toContain(`curl -H "Authorization: Bearer ${first.token}" ${spc}`);
    expect(first.output).toContain(`${first.baseUrl}/t/demo/scim/v2`);
    // The token appears in the token block and in the curl line, nowhere else.
    expect(first.output.match(TOKEN_IN_TEXT)).toHaveLength(2);

    expect(await status(spc, bearer(first.token))).toBe(200);
    expect(await status(`${first.baseUrl}/t/demo/scim/v2/ServiceProviderConfig`, basic("demo", first.token))).toBe(200);
  });

  test("a second run issues a new token and revokes the previous one", async () => {
    await stopGroup(running);
    const second = await startDev();
    const spc = `${second.baseUrl}/scim/v2/ServiceProviderConfig`;
    expect(second.token).not.toBe(first.token);
    expect(await status(spc, bearer(second.token))).toBe(200);
    expect(await status(spc, bearer(first.token))).toBe(401);
  });
});

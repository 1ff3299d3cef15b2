// `npm run dev`, the README's first steps: a fresh "dev" key for tenant demo on every run, printed with a ready
// curl line, then wrangler dev serving it. Okta's published SCIM 2.0 SPEC test (../shared/conformance) runs
// against that same server, exactly as an integrator would before submitting to Okta, so the suite boots
// `npm run dev` only as often as the behaviour needs: a second run must revoke the first run's key.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  basic,
  bearer,
  freePort,
  REPO_ROOT,
  startDevCommand,
  status,
  stopGroup,
  tempDir,
  TOKEN_IN_TEXT,
  waitFor,
  waitUntilServing,
  type Background,
} from "./helpers.ts";

const CONFORMANCE = join(REPO_ROOT, "..", "shared", "conformance");
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
  running = await startDevCommand(port, persistTo);
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

  test("okta: every step of the published SPEC test passes against npm run dev", async () => {
    expect(existsSync(join(CONFORMANCE, "runscope.mjs")), `conformance material expected at ${CONFORMANCE}`).toBe(true);
    // 127.0.0.1, not localhost (which may also mean ::1), for the runner's own requests.
    const origin = first.baseUrl.replace("localhost", "127.0.0.1");
    // The suite reads the first user's name, email and active flag, so one must exist before it starts.
    const seeded = await fetch(`${origin}/scim/v2/Users`, {
      method: "POST",
      headers: { Authorization: `Bearer ${first.token}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        userName: "seed.user@atko.example",
        name: { givenName: "Seed", familyName: "User" },
        emails: [{ value: "seed.user@atko.example", type: "work", primary: true }],
        active: true,
      }),
    });
    expect(seeded.status).toBe(201);

    const run = await promisify(execFile)(
      process.execPath,
      [
        join(CONFORMANCE, "runscope.mjs"),
        "--suite", join(CONFORMANCE, "okta", "Okta-SCIM-20-SPEC-Test.json"),
        "--init", join(CONFORMANCE, "okta", "Initial_Script_Spec.txt"),
        "--base", `${origin}/scim/v2`,
        "--auth", `Bearer ${first.token}`,
      ],
      { timeout: 120_000 },
    ).catch((error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? "", stderr: "", code: error.code }));
    const lines = run.stdout.trim().split("\n");
    const failures = lines.filter((line) => line.startsWith("FAIL"));
    expect(failures, run.stdout).toEqual([]);
    const summary = /^(\d+) passed, (\d+) failed$/.exec(lines.at(-1) ?? "");
    expect(summary, run.stdout).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(12);
    expect(Number(summary![2])).toBe(0);
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

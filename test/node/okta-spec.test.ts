// Okta's published SCIM 2.0 SPEC test (../shared/conformance), run by its runner against `npm run dev`,
// exactly as an integrator would before submitting to Okta.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort, REPO_ROOT, startDevCommand, stopGroup, tempDir, TOKEN_IN_TEXT, waitFor, waitUntilServing, type Background } from "./helpers.ts";

const CONFORMANCE = join(REPO_ROOT, "..", "shared", "conformance");
let persistTo = "";
let dev: Background | undefined;

beforeAll(async () => {
  persistTo = await tempDir("okta-spec-");
});

afterAll(async () => {
  await stopGroup(dev);
  await rm(persistTo, { recursive: true, force: true });
});

describe("okta: SCIM 2.0 SPEC test", () => {
  test("okta: every step of the published SPEC test passes against npm run dev", async () => {
    expect(existsSync(join(CONFORMANCE, "runscope.mjs")), `conformance material expected at ${CONFORMANCE}`).toBe(true);
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    dev = startDevCommand(port, persistTo);
    const running = dev;
    const token = await waitFor("the printed token", async () => running.output().match(TOKEN_IN_TEXT)?.[0] ?? null, running);
    await waitUntilServing(`http://localhost:${port}`, running);

    // The suite reads the first user's name, email and active flag, so one must exist before it starts.
    const seeded = await fetch(`${origin}/scim/v2/Users`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" },
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
        "--auth", `Bearer ${token}`,
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
});

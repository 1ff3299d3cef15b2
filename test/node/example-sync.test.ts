// The sync protocol (README, "Consuming changes in your application") proven with a real client: `npm run dev` serves the worker, a scripted Okta-like client provisions
// the demo tenant, and the example application (examples/sync-app) takes the head, snapshots the directory and
// follows the feed into its own SQLite file while the client keeps creating, updating, deactivating, deleting
// and pushing groups. Once it has caught up, its database equals the directory that SCIM GET shows.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { directoryOf, headCursor, provisionBefore, provisionWhileFollowing, readExample, startDevWithAppKey, type Scim } from "./example-directory.ts";
import { startSyncExample, stopGroup, waitFor, type Background } from "./helpers.ts";

let persistTo: string;
let dev: Background | undefined;
let example: Background | undefined;
let baseUrl = "";
let appToken = "";
let scim: Scim;

beforeAll(async () => {
  ({ persistTo, baseUrl, dev, scim, appToken } = await startDevWithAppKey("example-sync-"));
});

afterAll(async () => {
  await stopGroup(example);
  await stopGroup(dev);
  await rm(persistTo, { recursive: true, force: true });
});

describe("the example application against npm run dev", () => {
  test("head, snapshot, follow: its database equals the directory while an Okta-like client provisions", async () => {
    // Before the application starts: what its snapshot will find.
    const { ids, engineering } = await provisionBefore(scim);

    const dbFile = join(persistTo, "sync.db");
    example = startSyncExample(["--base", baseUrl, "--token", appToken, "--db", dbFile, "--interval", "200"]);
    const app = example;
    await waitFor("the snapshot", async () => (/snapshot: /.test(app.output()) ? true : null), app, 60_000);

    // While it follows: Okta's lifecycle and group push, interleaved.
    await provisionWhileFollowing(scim, ids, engineering);

    const target = await headCursor(baseUrl, appToken);
    const caughtUp = await waitFor(
      "the example to reach the head",
      async () => {
        try {
          const state = readExample(dbFile);
          return state.cursor === target ? state : null;
        } catch {
          return null; // busy while it writes
        }
      },
      app,
      60_000,
    );
    await stopGroup(app);
    console.info(`example output:\n${app.output()}`);

    const { cursor: _cursor, applied: _applied, inbox: _inbox, ...mirrored } = caughtUp;
    expect(mirrored).toEqual(await directoryOf(scim));
    // It printed each change it applied.
    expect(app.output()).toMatch(/user\.updated user2@example\.com v2 \(name\.givenName, title\) by scim/);
    expect(app.output()).toMatch(/group\.members_added Sales EMEA/);
    expect(app.output()).toMatch(/user\.deleted user7@example\.com/);
    expect(app.output()).not.toMatch(/Password/);
  }, 300_000);
});

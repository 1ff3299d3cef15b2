// The CLI's pure parts, in-process: argument parsing, SQL quoting and the base URLs read from wrangler.toml;
// bad arguments as the operator sees them (exit status, one stderr line), in-process and in a few real processes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test, vi } from "vitest";
import { parseDevArgs, parseKeysArgs } from "../../tools/args.ts";
import { baseUrls, devPublicUrl, publicBaseUrl, readPublicBaseUrl } from "../../tools/config.ts";
import { CliError, runEntryPoint } from "../../tools/errors.ts";
import { sqlNullableString, sqlString } from "../../tools/sql.ts";
import { REPO_ROOT, runDev, runKeys } from "./helpers.ts";

function usageFailure(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof CliError && error.exitStatus === 2) return error.message;
    throw error;
  }
  throw new Error("expected a usage error");
}

describe("base URLs come from wrangler.toml", () => {
  test("each environment's PUBLIC_BASE_URL", () => {
    expect(publicBaseUrl(null)).toBe("http://localhost:8787");
    expect(publicBaseUrl("com")).toBe("https://scim.example.com");
    expect(publicBaseUrl("de")).toBe("https://scim.example.de");
  });

  test("the reader follows table headers and ignores the same key elsewhere", () => {
    const toml = readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8");
    expect(readPublicBaseUrl(toml, "de")).toBe("https://scim.example.de");
    const tricky = `[other]\nPUBLIC_BASE_URL = "https://wrong"\n[ env.com.vars ] # comment\nPUBLIC_BASE_URL = "https://x.example/" # why\n`;
    expect(readPublicBaseUrl(tricky, "com")).toBe("https://x.example");
    expect(readPublicBaseUrl(tricky, null)).toBeNull();
  });

  test("shared and tenant base URLs", () => {
    expect(baseUrls("https://scim.example.de/", "acme")).toEqual({
      shared: "https://scim.example.de/scim/v2",
      tenant: "https://scim.example.de/t/acme/scim/v2",
    });
  });

  test("dev: a local base URL follows --port; any other is kept", () => {
    expect(devPublicUrl("http://localhost:8787", 8790)).toBe("http://localhost:8790");
    expect(devPublicUrl("http://localhost:8787", 8787)).toBe("http://localhost:8787");
    expect(devPublicUrl("https://tunnel.example", 8790)).toBe("https://tunnel.example");
  });
});

describe("SQL literals for wrangler d1 execute --command", () => {
  test("single quotes are doubled, NULL stays a keyword", () => {
    expect(sqlString("O'Brien'); DROP TABLE tenants; --")).toBe("'O''Brien''); DROP TABLE tenants; --'");
    expect(sqlNullableString(null)).toBe("NULL");
    expect(() => sqlString("a\0b")).toThrow();
  });
});

describe("keys arguments", () => {
  test("create with every flag; relative --persist-to resolved against the caller's directory", () => {
    expect(
      parseKeysArgs(
        ["create", "acme", "--label", "okta", "--org", "Acme", "--expires", "0.5", "--scope", "app", "--env", "de", "--persist-to", "state", "--json"],
        "/home/op",
      ),
    ).toEqual({
      help: false,
      json: true,
      target: { env: "de", remote: false, persistTo: "/home/op/state" },
      command: { name: "create", tenant: "acme", label: "okta", organization: "Acme", expiresInDays: 0.5, scope: "app" },
    });
  });

  test("defaults: local target, no label, no org, no expiry, scope scim, grace 0", () => {
    expect(parseKeysArgs(["create", "acme"])).toMatchObject({
      json: false,
      target: { env: null, remote: false, persistTo: null },
      command: { label: "", organization: null, expiresInDays: null, scope: "scim" },
    });
    expect(parseKeysArgs(["rotate", "abcdefghijklmnop", "--env", "com", "--remote"])).toMatchObject({
      target: { env: "com", remote: true, persistTo: null },
      command: { name: "rotate", keyId: "abcdefghijklmnop", graceMinutes: 0 },
    });
  });

  test.each([
    [["create", "a"], /invalid tenant/],
    [["create", "x".repeat(64)], /invalid tenant/],
    [["create", "acme", "--expires", "1e3"], /--expires/],
    [["create", "acme", "--expires", "36501"], /--expires/],
    [["create", "acme", "--org", " "], /--org must not be empty/],
    [["create", "acme", "--label", "x".repeat(201)], /--label is longer/],
    [["create", "acme", "--label"], /argument missing/],
    [["rotate", "abcdefghijklmnop", "--grace", "1.5.0"], /--grace/],
    [["revoke", "ABCDEFGHIJKLMNOP"], /invalid key id/],
    [["list", "acme", "--env", "local"], /unknown env/],
    [["list", "acme", "--remote"], /--remote needs --env/],
    [["list", "acme", "--env", "de", "--remote", "--persist-to", "x"], /--persist-to applies to local state only/],
    [["list", "acme", "--port", "1"], /unknown flag --port for list/],
    [["list", "acme", "-x"], /unknown flag -x/],
  ])("%j is a usage error", (argv, message) => {
    expect(usageFailure(() => parseKeysArgs(argv))).toMatch(message);
  });
});

describe("dev arguments", () => {
  test("--port, --inspector-port and --persist-to", () => {
    expect(parseDevArgs([], "/w")).toEqual({ help: false, port: 8787, inspectorPort: null, persistTo: null });
    expect(parseDevArgs(["--port", "9000", "--inspector-port", "9300", "--persist-to", "s"], "/w")).toEqual({ help: false, port: 9000, inspectorPort: 9300, persistTo: "/w/s" });
  });

  test.each([[["--port", "0"]], [["--port", "70000"]], [["--port", "80a"]], [["--inspector-port", "x"]], [["--json"]], [["serve"]]])("%j is a usage error", (argv) => {
    expect(usageFailure(() => parseDevArgs(argv))).toBeTruthy();
  });
});

/**
 * `npm run keys` as keys.ts runs it, in-process: parse inside runEntryPoint, which turns a failure into the
 * exit status and the one stderr line. Returns what the operator would see.
 */
async function keysInProcess(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const capture = (stream: "stdout" | "stderr") =>
    vi.spyOn(process[stream], "write").mockImplementation((chunk: string | Uint8Array) => {
      out[stream] += String(chunk);
      return true;
    });
  const spies = [capture("stdout"), capture("stderr")];
  const exitCodeBefore = process.exitCode;
  try {
    await runEntryPoint(async () => {
      parseKeysArgs(argv);
    });
    return { status: Number(process.exitCode ?? 0), ...out };
  } finally {
    process.exitCode = exitCodeBefore;
    for (const spy of spies) spy.mockRestore();
  }
}

describe("keys: bad arguments exit 2 with one line on stderr and nothing on stdout", () => {
  // The argument errors of the spawned end-to-end suite (test/node/keys-cli.test.ts, "bad input"), in-process.
  test.each([
    [["list", "Acme"]],
    [["create", "a"]],
    [["create", "acme_corp"]],
    [["create", "acme", "--expires", "0"]],
    [["create", "acme", "--expires", "-1"]],
    [["create", "acme", "--expires", "soon"]],
    [["create", "acme", "--label", "two\nlines"]],
    [["create"]],
    [["revoke", "not-a-key-id"]],
    [["rotate", "abcdefghijklmnop", "--grace", "-5"]],
    [["list", "acme", "--env", "eu"]],
    [["list", "acme", "--remote"]],
    [["frobnicate", "acme"]],
    [[]],
    [["list", "acme", "--verbose"]],
    [["list", "acme", "--grace", "5"]],
    [["list", "acme", "extra"]],
  ])("%j", async (argv) => {
    const result = await keysInProcess(argv);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  });
});

describe("keys and dev as spawned processes: the exit status scripts branch on", () => {
  // A few real processes, so the entry points' wiring (top-level await, process.exitCode) is covered too.
  test.each([[["frobnicate", "acme"]], [["create", "acme", "--expires", "soon"]], [[]]])("keys %j exits 2 with one stderr line", async (argv) => {
    const result = await runKeys(argv);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  });

  test("dev --port 0 exits 2 with one stderr line, before touching any state", async () => {
    const result = await runDev(["--port", "0"]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  });
});

// The CLI's pure parts, in-process: argument parsing, SQL quoting and the base URLs read from wrangler.toml.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseDevArgs, parseKeysArgs } from "../../src/cli/args.ts";
import { baseUrls, devPublicUrl, publicBaseUrl, readPublicBaseUrl } from "../../src/cli/config.ts";
import { CliError } from "../../src/cli/errors.ts";
import { sqlNullableString, sqlString } from "../../src/cli/sql.ts";
import { REPO_ROOT } from "./helpers.ts";

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
  test("--port and --persist-to", () => {
    expect(parseDevArgs([], "/w")).toEqual({ help: false, port: 8787, persistTo: null });
    expect(parseDevArgs(["--port", "9000", "--persist-to", "s"], "/w")).toEqual({ help: false, port: 9000, persistTo: "/w/s" });
  });

  test.each([[["--port", "0"]], [["--port", "70000"]], [["--port", "80a"]], [["--json"]], [["serve"]]])("%j is a usage error", (argv) => {
    expect(usageFailure(() => parseDevArgs(argv))).toBeTruthy();
  });
});

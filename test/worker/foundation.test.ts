import { describe, expect, it } from "vitest";
import { call, expectScimError, issueKey, json } from "./helpers.ts";

describe("foundation smoke", () => {
  it("serves ServiceProviderConfig to a valid bearer token", async () => {
    const { token } = await issueKey("acme");
    const res = await call("/scim/v2/ServiceProviderConfig", { token });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/scim+json; charset=utf-8");
    const body = await json(res);
    expect(body.schemas).toEqual(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]);
  });

  it("rejects a missing token with a SCIM 401", async () => {
    const res = await call("/scim/v2/ServiceProviderConfig");
    await expectScimError(res, 401);
    expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
  });
});

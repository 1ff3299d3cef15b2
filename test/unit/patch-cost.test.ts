// A PATCH's CPU cost is linear in its size (a denial-of-service bound): one valid token could make one
// request burn minutes of CPU by adding thousands of values that were each compared with the whole list,
// and the 1000-element cap was checked only after all of them were applied.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ScimError } from "../../src/scim/errors.ts";
import { ElementIndex, sameElement } from "../../src/scim/patch/elements.ts";
import { MAX_PATCH_ELEMENT_VISITS } from "../../src/scim/patch/index.ts";
import { USER_SCHEMA } from "../../src/scim/schema/core.ts";
import { USER_RESOURCE } from "../../src/scim/schema/registry.ts";
import type { AttributeDef } from "../../src/scim/schema/types.ts";
import { MAX_MULTI_VALUES } from "../../src/scim/validate/limits.ts";
import { patch } from "../support/patch.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const emails = (n: number, tag: string) => range(n).map((i) => ({ value: `${tag}${i}@example.com`, type: "work" }));

function failure(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error("expected a ScimError");
}

const stored = { schemas: [USER_SCHEMA], id: "u1", userName: "victim" };

describe("attack: one PATCH growing a multi-valued attribute past its cap", () => {
  it("4 x 1000 new emails are refused at the operation that crosses 1000 elements, not after applying all 4000", () => {
    const error = failure(() => patch(stored, range(4).map((k) => ({ op: "add", path: "emails", value: emails(1000, `k${k}-`) }))));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe("invalidValue");
    expect(error.message).toContain("Operations[1]");
    expect(error.message).toContain(`more than ${MAX_MULTI_VALUES}`);
  });

  it("exactly 1000 emails are accepted, in one operation or in several", () => {
    expect((patch(stored, [{ op: "add", path: "emails", value: emails(1000, "a") }]).emails as unknown[]).length).toBe(1000);
    const split = patch(stored, range(4).map((k) => ({ op: "add", path: "emails", value: emails(250, `k${k}-`) })));
    expect((split.emails as unknown[]).length).toBe(1000);
  });

  it("re-adding values already present (in another case) does not count against the cap", () => {
    const full = patch(stored, [{ op: "add", path: "emails", value: emails(1000, "a") }]);
    const again = patch(full, range(5).map(() => ({ op: "add", path: "emails", value: emails(1000, "A") })));
    expect((again.emails as unknown[]).length).toBe(1000);
  });
});

describe("attack: one PATCH that makes the server visit millions of list elements", () => {
  it(`is refused once its operations add or scan more than MAX_PATCH_ELEMENT_VISITS (${MAX_PATCH_ELEMENT_VISITS}) elements`, () => {
    const full = patch(stored, [{ op: "add", path: "emails", value: emails(1000, "a") }]);
    const operations = range(1000).map((i) => ({ op: "replace", path: `emails[value eq "a${i}@example.com"].display`, value: `n${i}` }));
    const error = failure(() => patch(full, operations));
    expect(error.status).toBe(400);
    expect(error.message).toContain(`more than ${MAX_PATCH_ELEMENT_VISITS} list elements`);
    // A realistic request over the same user is far inside the budget.
    const some = patch(full, operations.slice(0, 5));
    expect((some.emails as Array<Record<string, unknown>>)[4]?.display).toBe("n4");
  });
});

describe("ElementIndex: linear-time de-duplication agrees with pairwise sameElement", () => {
  const emailDef = USER_RESOURCE.core.attributes.find((a) => a.name === "emails") as AttributeDef;
  const addressDef = USER_RESOURCE.core.attributes.find((a) => a.name === "addresses") as AttributeDef;
  const text = fc.constantFrom("a", "A", "b", "É", "é", "e\u0301", "ß", "SS", "work", "Work", "home");
  const element = fc.oneof(
    fc.record({ value: text, type: fc.option(text, { nil: undefined }), primary: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: [] }),
    fc.record({ type: text, locality: text }, { requiredKeys: [] }),
    text,
  );
  const clean = (e: unknown) => (typeof e === "object" && e !== null ? Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) : e);

  for (const [name, def] of [["emails", emailDef], ["addresses", addressDef], ["an unknown extension's list", undefined]] as const) {
    it(`finds the first element sameElement calls equal (${name})`, () => {
      fc.assert(
        fc.property(fc.array(element, { maxLength: 12 }), fc.array(element, { maxLength: 6 }), (listRaw, candidatesRaw) => {
          const list = listRaw.map(clean);
          const index = new ElementIndex(def, list);
          for (const candidate of candidatesRaw.map(clean)) {
            expect(index.find(candidate)).toBe(list.find((e) => sameElement(e, candidate, def)));
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  it("an element given a type after indexing no longer matches other types", () => {
    const list: Array<Record<string, unknown>> = [{ value: "x" }, { value: "x", type: "home" }];
    const index = new ElementIndex(emailDef, list);
    expect(index.find({ value: "x", type: "work" })).toBe(list[0]);
    list[0]!.type = "other";
    index.typed(list[0]);
    expect(index.find({ value: "x", type: "work" })).toBeUndefined();
    expect(index.find({ value: "x", type: "home" })).toBe(list[1]);
    expect(index.find({ value: "x", type: "other" })).toBe(list[0]);
  });
});

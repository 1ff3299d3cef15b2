// The differential check of /Users and /Groups filters: the list endpoint's answer (SQL) must equal what the
// RFC 7644 §3.4.2.2 evaluator in src/scim/filter says of the same stored resources (the code PATCH value
// filters run), for any generated filter. Shared by users-filter.test.ts and groups-filter.test.ts.
import fc from "fast-check";
import { expect } from "vitest";
import type { Filter } from "../../src/scim/filter/ast.ts";
import { matchesFilter } from "../../src/scim/filter/evaluate.ts";
import { parseFilter } from "../../src/scim/filter/parse.ts";
import { printFilter } from "../../src/scim/filter/print.ts";
import { resolveFilter } from "../../src/scim/filter/resolve.ts";
import { ScimError } from "../../src/scim/errors.ts";
import type { ResourceSchemas } from "../../src/scim/schema/registry.ts";
import { call, json } from "./helpers.ts";

export interface FilterOracle {
  /** The ids the list endpoint answers for `filter`, sorted (the request must succeed). */
  idsFor: (filter: string) => Promise<string[]>;
  /** The ids of `all()` the evaluator matches, sorted; throws ScimError for a filter the service refuses. */
  expectedFor: (filter: string) => string[];
}

/**
 * `listPath` is the list URL without its filter (for example `/scim/v2/Users?count=1000`); `all` the stored
 * resources as the service returns them, read once the test data is in place.
 */
export function filterOracle(listPath: string, schemas: ResourceSchemas, token: () => string, all: () => Record<string, unknown>[]): FilterOracle {
  return {
    async idsFor(filter) {
      const res = await call(`${listPath}&filter=${encodeURIComponent(filter)}`, { token: token() });
      const body = await json<{ Resources: { id: string }[]; totalResults: number; detail?: string }>(res);
      if (res.status !== 200) throw new Error(`${res.status} ${body.detail} for ${filter}`);
      expect(body.totalResults).toBe(body.Resources.length);
      return body.Resources.map((r) => r.id).sort();
    },
    expectedFor(filter) {
      const resolved = resolveFilter(parseFilter(filter), schemas);
      return all().filter((r) => matchesFilter(r, resolved)).map((r) => r.id as string).sort();
    },
  };
}

/**
 * Runs `numRuns` generated filters through both. Filters the evaluator refuses are skipped here (tests of the
 * 400 answer live beside). At least `minCompared` are compared, and at least `minMatched` of those match some
 * resources but not all, so the data tells the resources apart rather than giving all-or-nothing answers.
 */
export async function expectSqlAgreesWithEvaluator(
  filters: fc.Arbitrary<Filter>,
  oracle: FilterOracle,
  counts: { numRuns: number; minCompared: number; minMatched: number; total: () => number },
): Promise<void> {
  let compared = 0;
  let matched = 0;
  await fc.assert(
    fc.asyncProperty(filters, async (ast) => {
      const text = printFilter(ast);
      let expected: string[];
      try {
        expected = oracle.expectedFor(text);
      } catch (error) {
        if (!(error instanceof ScimError)) throw error;
        return;
      }
      compared++;
      if (expected.length > 0 && expected.length < counts.total()) matched++;
      expect(await oracle.idsFor(text)).toEqual(expected);
    }),
    { numRuns: counts.numRuns },
  );
  expect(compared).toBeGreaterThan(counts.minCompared);
  expect(matched).toBeGreaterThan(counts.minMatched);
}

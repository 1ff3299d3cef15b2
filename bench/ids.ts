// The seeded directory's naming scheme, shared by the seeding SQL (seed.ts) and the workload (workload.ts), so
// the workload can address user i or group g without asking the server. Ids look like UUIDv4 and are
// deterministic; their first block is a multiplicative hash of the ordinal, so the id index is filled in
// scattered order as it is with real random UUIDs, not in append order.

/** Knuth's multiplicative hash constant; (i * HASH) mod 2^32 permutes 32-bit ordinals. */
export const ID_HASH = 2654435761;

/** The same formula in SQL (`printf` over the recursive CTE's `i`), used by seed.ts. */
export const sqlUserId = (i: string) => `printf('%08x-b000-4000-8000-%012x', (${i} * ${ID_HASH}) % 4294967296, ${i})`;
export const sqlGroupId = (g: string) => `printf('%08x-b000-4000-9000-%012x', (${g} * ${ID_HASH}) % 4294967296, ${g})`;
export const sqlUserName = (i: string) => `printf('user%07d@bench.example', ${i})`;

function scrambled(n: number): string {
  // BigInt: n * ID_HASH exceeds 2^53 from n of about 3.4 million.
  return ((BigInt(n) * BigInt(ID_HASH)) % 4294967296n).toString(16).padStart(8, "0");
}

const hex12 = (n: number) => n.toString(16).padStart(12, "0");

export const userId = (i: number) => `${scrambled(i)}-b000-4000-8000-${hex12(i)}`;
export const groupId = (g: number) => `${scrambled(g)}-b000-4000-9000-${hex12(g)}`;
export const userName = (i: number) => `user${String(i).padStart(7, "0")}@bench.example`;

/** Group 0 is the big group ("All Staff"); groups 1.. are small teams. */
export const BIG_GROUP = 0;
export const groupName = (g: number) => (g === BIG_GROUP ? "All Staff" : `Team ${String(g).padStart(3, "0")}`);

/** The big group holds users 1..min(users, BIG_GROUP_MAX): "a group of 100,000 members" from the issue. */
export const BIG_GROUP_MAX = 100_000;
export const SMALL_GROUPS = 50;
export const SMALL_GROUP_SIZE = 100;

export const bigGroupSize = (users: number) => Math.min(users, BIG_GROUP_MAX);
/** Small group g holds users (g-1)*SMALL_GROUP_SIZE+1 .. g*SMALL_GROUP_SIZE (capped at the tenant size). */
export const smallGroupRange = (g: number, users: number): [number, number] => [
  Math.min(users + 1, (g - 1) * SMALL_GROUP_SIZE + 1),
  Math.min(users, g * SMALL_GROUP_SIZE),
];

/** Tenant slug per size: bench-10k, bench-100k, bench-1m, bench-2500. */
export function tenantSlug(users: number): string {
  if (users % 1_000_000 === 0) return `bench-${users / 1_000_000}m`;
  if (users % 1_000 === 0) return `bench-${users / 1_000}k`;
  return `bench-${users}`;
}

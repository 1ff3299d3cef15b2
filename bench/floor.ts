// The floor, measured in the same run as the workload: the same lookups and writes as one bare prepared D1
// statement each (bench/worker/floor-routes.ts), in the same worker, behind the same auth, metered the same way.
// Each floor runs at the concurrency of the operations it is the floor of, so their latencies compare too.
// Every write is undone in the same iteration (insert then delete, delete then re-insert).
import type { Client } from "./client.ts";
import { BIG_GROUP, groupId, userId, userName } from "./ids.ts";
import { FLOORS, type FloorName } from "./ops.ts";
import type { PhaseRunner } from "./runner.ts";
import { PAGE } from "./walk.ts";

export interface FloorTenant {
  runTag: string;
  /** A random user ordinal, and a random member ordinal of the big group. */
  user(): number;
  member(): number;
}

const call = (client: Client, name: FloorName, params: (string | number)[]) =>
  client.call(name, "POST", `/_bench/floor/${FLOORS[name]}`, { params });

export async function measureFloor(phases: PhaseRunner, t: FloorTenant, pageIterations: number): Promise<void> {
  const now = () => new Date().toISOString();
  const bigGroup = groupId(BIG_GROUP);
  await phases.run("floor: lookups", phases.budget(), async (client, k) => {
    await call(client, "floor: user by userName (hit)", [userName(t.user())]);
    await call(client, "floor: user by userName (miss)", [`new-${t.runTag}-floor-${k}@bench.example`]);
    await call(client, "floor: user by id", [userId(t.user())]);
    await call(client, "floor: read user count", []);
    await call(client, "floor: group by displayName (miss)", [`push ${t.runTag} floor ${k}`]);
  });
  const pages = [
    "floor: first 100 users with their group ids",
    "floor: last 100 users with their group ids",
    "floor: first 100 users",
    "floor: last 100 users",
    "floor: first 100 users with their group ids, then the names",
    "floor: last 100 users with their group ids, then the names",
  ] as const;
  await phases.run("floor: pages", phases.budget({ iterations: pageIterations * 3 }), async (client, k) => {
    await call(client, pages[k % pages.length]!, [PAGE]);
  });
  await phases.run("floor: writes", phases.budget(), async (client, k) => {
    const name = `floor-${t.runTag}-${k}`;
    await call(client, "floor: insert user", [name, `${name}@bench.example`, now()]);
    await call(client, "floor: delete user", [name]);
    await call(client, "floor: update user", [userId(t.user()), now()]);
    await call(client, "floor: read, then update user", [userId(t.user()), now()]);
    await call(client, "floor: insert group", [name, `floor group ${t.runTag} ${k}`, now()]);
    await call(client, "floor: delete group", [name]);
  });
  await phases.run("floor: big group", phases.budget({ concurrency: 1 }), async (client) => {
    const id = userId(t.member());
    await call(client, "floor: delete member", [bigGroup, id]);
    await call(client, "floor: insert member", [bigGroup, id]);
    await call(client, "floor: update group", [bigGroup, now()]);
    await call(client, "floor: read, then update group", [bigGroup, now()]);
    await call(client, "floor: group by id", [bigGroup]);
  });
}

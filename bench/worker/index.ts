// The bench's worker: the deployed app plus the floor statements (floor-routes.ts) behind the same auth and
// meter. `npm run bench` bundles this entry; `wrangler deploy` bundles src/index.ts, which has no floor code.
import { createApp } from "../../src/app.ts";
import { benchFloor } from "./floor-routes.ts";

export default createApp((scim) => scim.route("/", benchFloor));

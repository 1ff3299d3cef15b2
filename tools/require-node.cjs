// Stops `npm run dev`, `npm test` and the other scripts on a Node.js older than package.json's "engines"
// with one line that says what to install, instead of a flag error deep inside wrangler or vitest
// (Node 20 dies on --experimental-strip-types). Written in old JavaScript so an old Node can parse it.
"use strict";
var engines = require("../package.json").engines;
var match = /^>=(\d+)\.(\d+)/.exec(engines && engines.node ? engines.node : "");
if (!match) {
  console.error("package.json engines.node must read \">=MAJOR.MINOR\"");
  process.exit(1);
}
var need = [Number(match[1]), Number(match[2])];
var have = process.versions.node.split(".").map(Number);
if (have[0] < need[0] || (have[0] === need[0] && have[1] < need[1])) {
  console.error(
    "edge-scim needs Node.js >= " + need.join(".") + " (this is " + process.version + "): install Node.js " + need[0] +
      " LTS (https://nodejs.org/en/download, or `nvm install " + need[0] + "`), then run npm install again.",
  );
  process.exit(1);
}

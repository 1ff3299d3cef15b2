// What the figures were measured on and with: they mean little without the machine and the code version.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, freemem, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../tools/wrangler.ts";

export interface Machine {
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  os: string;
  node: string;
  wrangler: string;
  /** Commit of the code measured, and whether the working tree differed from it. */
  commit: string;
  dirty: boolean;
  /** 1-minute load average when the run started: other work on the machine shows here. */
  loadAverage: number;
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    return line?.split(":")[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

function packageVersion(name: string): string {
  try {
    const json = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")) as { version?: unknown };
    return typeof json.version === "string" ? json.version : "unknown";
  } catch {
    return "unknown";
  }
}

const gib = (bytes: number) => Number((bytes / 1024 ** 3).toFixed(1));

export function describeMachine(): Machine {
  return {
    cpuModel: cpuModel(),
    cpus: availableParallelism(),
    memoryGiB: gib(totalmem()),
    freeMemoryGiB: gib(freemem()),
    os: `${platform()} ${release()}`,
    node: process.version,
    wrangler: packageVersion("wrangler"),
    commit: git(["rev-parse", "--short", "HEAD"]) || "unknown",
    dirty: git(["status", "--porcelain", "--untracked-files=no"]) !== "",
    loadAverage: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

export const machineLine = (m: Machine) =>
  `${m.cpuModel}, ${m.cpus} CPUs, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}, wrangler ${m.wrangler}, ` +
  `commit ${m.commit}${m.dirty ? " (with uncommitted changes)" : ""}, load average ${m.loadAverage} at the start`;

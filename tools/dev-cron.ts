// wrangler dev does not fire Cron Triggers by itself; with --test-scheduled it exposes /__scheduled?cron=...
// to run the scheduled() handler. `npm run dev` calls it at the top of every minute with the crons of
// wrangler.toml ("* * * * *": the webhook sweep; "*/10 * * * *" on every tenth minute: the retention prune),
// so local development sees the same jobs a deployment runs. The queue needs nothing: Miniflare runs producer
// and consumer inside wrangler dev.
const SWEEP = "* * * * *";
const PRUNE = "*/10 * * * *";

async function fire(port: number, cron: string): Promise<void> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/__scheduled?cron=${encodeURIComponent(cron)}`);
    await res.body?.cancel();
  } catch {
    // wrangler dev still starting or reloading: the next minute tries again.
  }
}

/** Starts the minute timer; returns a function that stops it. */
export function startDevCron(port: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const now = Date.now();
    timer = setTimeout(async () => {
      const minute = new Date().getUTCMinutes();
      await fire(port, SWEEP);
      if (minute % 10 === 0) await fire(port, PRUNE);
      schedule();
    }, 60_000 - (now % 60_000) + 50);
    timer.unref();
  };
  schedule();
  return () => clearTimeout(timer);
}

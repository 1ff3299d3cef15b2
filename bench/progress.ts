// A progress bar on stderr (stdout stays for the results table). On a terminal it redraws one line; in a log
// file it prints a line every tenth of the way, so CI output stays short.

export interface Progress {
  update(done: number): void;
  finish(note?: string): void;
}

const WIDTH = 30;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function progressBar(label: string, total: number, unit: string): Progress {
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  const line = (done: number) => {
    const fraction = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(fraction * WIDTH);
    const bar = `${"#".repeat(filled)}${".".repeat(WIDTH - filled)}`;
    const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
    return `${label} [${bar}] ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} ${unit} ${seconds(Date.now() - started)} (${Math.round(rate).toLocaleString("en-US")}/s)`;
  };
  return {
    update(done) {
      if (tty) {
        process.stderr.write(`\r${line(done)}\x1b[K`);
        return;
      }
      const tenth = Math.floor((total === 0 ? 1 : done / total) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`${line(done)}\n`);
      }
    },
    finish(note) {
      const suffix = note === undefined ? "" : ` ${note}`;
      process.stderr.write(tty ? `\r${line(total)}${suffix}\x1b[K\n` : `${line(total)}${suffix}\n`);
    },
  };
}

/** One status line on stderr, for the steps between bars. */
export function status(text: string): void {
  process.stderr.write(`${text}\n`);
}

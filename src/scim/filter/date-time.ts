// xsd:dateTime values (RFC 7643 §2.3.5) as instants, shared by filter resolution and evaluation.

// Without a zone offset the instant is taken as UTC: the server's clock zone must not change what matches.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;

/** Milliseconds since the epoch for an xsd:dateTime, or undefined when it is not one or names no real instant. */
export function parseDateTime(text: string): number | undefined {
  const match = DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  const fraction = match[7] ?? "";
  const zone = match[8] ?? "Z";
  // Date.parse rolls 2011-02-30 over into March; a date-time that does not exist is an error instead.
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  if (utc.getUTCFullYear() !== year || utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const instant = Date.parse(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}${fraction.slice(0, 4)}${zone.toUpperCase()}`);
  return Number.isNaN(instant) ? undefined : instant;
}

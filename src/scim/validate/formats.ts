// Format rules for User attributes whose RFC 7643 §4.1 definition names an external standard. Each rule
// returns the value to store (sometimes normalised: "de" -> "DE" for a country) or undefined when the value
// is not in the format. What the caller does with undefined depends on `advisory`:
// - advisory rules (country, locale, timezone, preferredLanguage, email value) keep the value exactly as sent.
//   Identity providers send free text there: Entra's default mapping puts the directory's free-text country
//   ("Germany", "United States") into addresses[type eq "work"].country, and refusing it would leave the
//   employee without an account over an optional attribute.
// - refusing rules (profileUrl, photos.value) answer 400: the application renders these as links and images,
//   and a "javascript:" URL stored there is an injection, not a formatting quirk.
import { ISO_3166_1_ALPHA2_CODES } from "./iso-3166-1.ts";
import { ISO_639_1_CODES } from "./iso-639-1.ts";

export interface FormatRule {
  /** What a valid value is, completing the detail `<path> "<value>" is not <expected>`. */
  readonly expected: string;
  /** True: a value out of format is stored as sent. False: it is refused with a 400. */
  readonly advisory: boolean;
  normalize(value: string): string | undefined;
}

// RFC 7231 §5.3.5: language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*"; weight = OWS ";" OWS "q=" qvalue.
const LANGUAGE_RANGE = /^([A-Za-z]{1,8})((?:-[A-Za-z0-9]{1,8})*)$/;
const WEIGHT = /^[qQ]=(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * `preferredLanguage` (RFC 7643 §4.1.2) has the syntax of an Accept-Language header value: "en-US" or
 * "da, en-gb;q=0.8, en;q=0.7". Every range's primary subtag must be an ISO 639-1 code, so "english" and "xx"
 * fail; a "*" range is allowed beside at least one real language. "_" is accepted as a subtag separator and
 * rewritten to "-": Okta and Java-based directories store "en_US".
 */
export function normalizePreferredLanguage(value: string): string | undefined {
  const text = value.replace(/_/g, "-");
  let languages = 0;
  for (const element of text.split(",")) {
    const [range = "", ...params] = element.split(";").map((part) => part.trim());
    if (range === "" && params.length === 0) continue; // RFC 7230 §7 lets a list contain empty elements.
    if (params.length > 1 || (params.length === 1 && !WEIGHT.test(params[0]!.replace(/\s+/g, "")))) return undefined;
    if (range === "*") continue;
    const match = LANGUAGE_RANGE.exec(range);
    if (!match || !ISO_639_1_CODES.has(match[1]!.toLowerCase())) return undefined;
    languages++;
  }
  return languages > 0 ? text.trim() : undefined;
}

/**
 * `locale` (RFC 7643 §4.1.2) is an RFC 5646 language tag. `Intl.getCanonicalLocales` (present in workerd)
 * parses BCP 47 and throws RangeError otherwise; the stored value is its canonical form ("EN-us" -> "en-US").
 * "en_US" (Okta's default locale) is accepted and stored as "en-US".
 */
export function normalizeLocale(value: string): string | undefined {
  const tag = value.trim().replace(/_/g, "-");
  if (tag === "") return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

// An IANA zone name: "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC", "EST".
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-]*(?:\/[A-Za-z0-9_+\-]+)*$/;

/**
 * `timezone` (RFC 7643 §4.1.2) is an IANA Time Zone database name. workerd's `Intl.supportedValuesOf`
 * lists only canonical zones (no "UTC", no links such as "Asia/Calcutta" or "US/Pacific"), so the check is
 * whether `Intl.DateTimeFormat` accepts the zone, which it does for every IANA name and link, case-insensitively.
 * It also accepts UTC offsets ("+01:00"), which are not IANA names: the name pattern rules those out.
 * The value is kept as given, except that a name differing from the database's only in case takes its case.
 */
export function normalizeTimezone(value: string): string | undefined {
  if (!ZONE_NAME.test(value)) return undefined;
  let resolved: string | undefined;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  return resolved !== undefined && resolved.toLowerCase() === value.toLowerCase() ? resolved : value;
}

/** `addresses[].country` (RFC 7643 §4.1.2): ISO 3166-1 alpha-2, stored upper-case. */
export function normalizeCountry(value: string): string | undefined {
  const code = value.toUpperCase();
  return ISO_3166_1_ALPHA2_CODES.has(code) ? code : undefined;
}

/**
 * `emails[].value`: deliberately loose (RFC 5321 local parts are wilder than any regex), only "something@something".
 * The last "@" is the separator because a quoted local part may itself contain "@".
 */
export function isEmailAddress(value: string): boolean {
  const at = value.lastIndexOf("@");
  return at > 0 && at < value.length - 1;
}

/**
 * `profileUrl` and `photos[].value`: an absolute URL. Only http(s): the application renders these as links
 * and images, and a "javascript:" URL is absolute too.
 */
export function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

const check = (test: (value: string) => boolean) => (value: string) => (test(value) ? value : undefined);

export const PREFERRED_LANGUAGE: FormatRule = {
  expected: "an RFC 7231 language tag list whose primary subtags are ISO 639-1 codes (e.g. \"en-US\" or \"da, en-gb;q=0.8\")",
  advisory: true,
  normalize: normalizePreferredLanguage,
};
export const LOCALE: FormatRule = { expected: "a BCP 47 language tag (e.g. \"en-US\")", advisory: true, normalize: normalizeLocale };
export const TIMEZONE: FormatRule = { expected: "an IANA time zone (e.g. \"Europe/Berlin\")", advisory: true, normalize: normalizeTimezone };
export const COUNTRY: FormatRule = { expected: "an ISO 3166-1 alpha-2 code", advisory: true, normalize: normalizeCountry };
export const EMAIL: FormatRule = { expected: "an email address (name@domain)", advisory: true, normalize: check(isEmailAddress) };
export const HTTP_URL: FormatRule = { expected: "an absolute http(s) URL", advisory: false, normalize: check(isAbsoluteHttpUrl) };

// Attribute formats of RFC 7643 §4.1.2 (src/scim/validate/formats.ts): preferredLanguage, locale, timezone,
// country, emails, URLs. Run inside workerd, not Node: the rules lean on the runtime's Intl APIs, and what ships
// is workerd's.
import { describe, expect, it } from "vitest";
import {
  isAbsoluteHttpUrl,
  isEmailAddress,
  normalizeCountry,
  normalizeLocale,
  normalizePreferredLanguage,
  normalizeTimezone,
} from "../../src/scim/validate/formats.ts";
import { ISO_3166_1_ALPHA2_CODES } from "../../src/scim/validate/iso-3166-1.ts";
import { ISO_639_1_CODES } from "../../src/scim/validate/iso-639-1.ts";

describe("workerd provides the Intl APIs the format rules rely on", () => {
  it("has Intl.getCanonicalLocales, which throws RangeError on an invalid tag", () => {
    expect(Intl.getCanonicalLocales("EN-us")).toEqual(["en-US"]);
    expect(() => Intl.getCanonicalLocales("en_US")).toThrow(RangeError);
  });

  it("rejects an unknown time zone in Intl.DateTimeFormat with RangeError", () => {
    expect(() => new Intl.DateTimeFormat("en-US", { timeZone: "Mars/Olympus" })).toThrow(RangeError);
  });
});

describe("the code lists", () => {
  it("ISO 639-1 has all 184 two-letter codes, lower case", () => {
    expect(ISO_639_1_CODES.size).toBe(184);
    for (const code of ISO_639_1_CODES) expect(code).toMatch(/^[a-z]{2}$/);
    for (const code of ["de", "en", "zh", "bh", "zu"]) expect(ISO_639_1_CODES.has(code)).toBe(true);
    for (const code of ["xx", "iw", "in", "sh"]) expect(ISO_639_1_CODES.has(code)).toBe(false);
  });

  it("ISO 3166-1 alpha-2 has all 249 assigned codes, upper case", () => {
    expect(ISO_3166_1_ALPHA2_CODES.size).toBe(249);
    for (const code of ISO_3166_1_ALPHA2_CODES) expect(code).toMatch(/^[A-Z]{2}$/);
    for (const code of ["DE", "US", "GB", "AX", "SS", "BQ"]) expect(ISO_3166_1_ALPHA2_CODES.has(code)).toBe(true);
    for (const code of ["UK", "EU", "XK", "AN", "ZZ"]) expect(ISO_3166_1_ALPHA2_CODES.has(code)).toBe(false);
  });
});

describe("rfc7643 4.1.2 preferredLanguage: an Accept-Language value (RFC 7231 §5.3.5) of ISO 639-1 languages", () => {
  it("accepts language tags", () => {
    for (const tag of ["de", "en-US", "zh-Hant-TW", "EN-gb", "sr-Latn-RS"]) expect(normalizePreferredLanguage(tag)).toBe(tag);
  });

  it("accepts the RFC 7643 example list with weights", () => {
    expect(normalizePreferredLanguage("da, en-gb;q=0.8, en;q=0.7")).toBe("da, en-gb;q=0.8, en;q=0.7");
    expect(normalizePreferredLanguage("de, *;q=0.1")).toBe("de, *;q=0.1");
  });

  it("okta: accepts en_US and rewrites the separator", () => {
    expect(normalizePreferredLanguage("en_US")).toBe("en-US");
  });

  it("rejects non-ISO-639-1 primary subtags and malformed lists", () => {
    for (const value of ["xx", "english", "eng", "*", "", " ", "en-", "en;q=2", "en;q=0.5;x=1", "de-toolongsubtag", "123"]) {
      expect(normalizePreferredLanguage(value), value).toBeUndefined();
    }
  });
});

describe("rfc7643 4.1.2 locale: a BCP 47 language tag", () => {
  it("accepts and canonicalises tags", () => {
    expect(normalizeLocale("en-US")).toBe("en-US");
    expect(normalizeLocale("EN-us")).toBe("en-US");
    expect(normalizeLocale("zh-hant-tw")).toBe("zh-Hant-TW");
    expect(normalizeLocale("de-DE-1996")).toBe("de-DE-1996");
  });

  it("okta: en_US becomes en-US", () => {
    expect(normalizeLocale("en_US")).toBe("en-US");
  });

  it("rejects what is not a language tag", () => {
    for (const value of ["not a locale", "en-", "", "x-private", "Germany!"]) expect(normalizeLocale(value), value).toBeUndefined();
  });
});

describe("rfc7643 4.1.2 timezone: an IANA time zone name", () => {
  it("accepts zones, links and UTC spellings", () => {
    for (const zone of ["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC", "Etc/UTC", "Etc/GMT+5", "Asia/Calcutta", "US/Pacific"]) {
      expect(normalizeTimezone(zone)).toBe(zone);
    }
  });

  it("takes the database's case when only the case differs", () => {
    expect(normalizeTimezone("europe/berlin")).toBe("Europe/Berlin");
    expect(normalizeTimezone("utc")).toBe("UTC");
  });

  it("rejects unknown zones and UTC offsets", () => {
    for (const value of ["Mars/Olympus", "+01:00", "-0500", "Z", "local", "", "Europe/"]) expect(normalizeTimezone(value), value).toBeUndefined();
  });
});

describe("rfc7643 4.1.2 addresses.country: ISO 3166-1 alpha-2", () => {
  it("accepts codes in any case and upper-cases them", () => {
    expect(normalizeCountry("DE")).toBe("DE");
    expect(normalizeCountry("de")).toBe("DE");
    expect(normalizeCountry("gB")).toBe("GB");
  });

  it("rejects names, alpha-3 codes and reserved codes", () => {
    for (const value of ["Germany", "DEU", "UK", "EU", "XK", "D"]) expect(normalizeCountry(value), value).toBeUndefined();
  });
});

describe("emails.value", () => {
  it("needs something on both sides of an @", () => {
    for (const value of ["bjensen@example.com", "a@b", '"a@b"@example.com']) expect(isEmailAddress(value), value).toBe(true);
    for (const value of ["bjensen", "@example.com", "bjensen@", "@"]) expect(isEmailAddress(value), value).toBe(false);
  });
});

describe("profileUrl and photos.value", () => {
  it("must be absolute http(s) URLs", () => {
    for (const value of ["https://login.example.com/bjensen", "http://example.com/photo.jpg"]) expect(isAbsoluteHttpUrl(value)).toBe(true);
    for (const value of ["/bjensen", "example.com/bjensen", "javascript:alert(1)", "ftp://example.com/x", "data:image/png;base64,AAAA"]) {
      expect(isAbsoluteHttpUrl(value), value).toBe(false);
    }
  });
});

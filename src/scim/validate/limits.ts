// Size limits for one resource body. The HTTP layer already caps a body at 1 MiB; these bound the shape
// inside it so that one attribute cannot hold the whole budget, and so storage (a JSON column, an emails
// table, one membership row per member) stays predictable. Exceeding any of them is a 400 invalidValue
// whose detail names the attribute and the limit.

/** Characters (UTF-16 code units) in an ordinary string value: names, emails, titles, custom attributes. */
export const MAX_STRING_LENGTH = 2048;

/** Characters in a binary (base64) value, i.e. an `x509Certificates` value: a DER certificate in base64. */
export const MAX_BINARY_LENGTH = 65536;

/** Elements in one multi-valued attribute (emails, phoneNumbers, roles, ...), and in any array inside an extension. */
export const MAX_MULTI_VALUES = 1000;

/**
 * Elements in a Group's `members` in one body. Groups legitimately have 100k members, and membership is one
 * row per member, so this is a sanity cap per request, not a product limit on group size.
 */
export const MAX_GROUP_MEMBERS = 100_000;

/** Nesting depth of an extension object the server has no schema for (the extension object itself is depth 1). */
export const MAX_EXTENSION_DEPTH = 8;

/** Characters in a `password` (write-only; hashed before storage). */
export const MAX_PASSWORD_LENGTH = 256;

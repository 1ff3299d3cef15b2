// Case-insensitive comparison keys. SQLite's NOCASE and lower() fold ASCII only, so keys for unique or
// case-insensitive attributes are computed here: NFC first (so "é" composed and decomposed agree), then a
// full case fold (upper-then-lower maps "ß" to "ss" and "ǅ" to "ǆ", which lower() alone does not).
// Upper-then-lower runs twice: once is not stable for "ẞ" (U+1E9E, capital sharp s), whose uppercase is
// itself and whose lowercase is "ß", which only the second round takes to "ss" (as Unicode's CaseFolding.txt
// does). Checked over every code point: the result is stable, and equal for a character, its upper and
// lower case and its NFD form. Deliberately not NFKC: compatibility forms (fullwidth "Ａ", "①") stay distinct.
const fold = (value: string) => value.toUpperCase().toLowerCase();

// ASCII is its own NFC form and folds by lower-casing alone; most values (emails, ids) are ASCII, and PATCH
// and filters fold them often, so they skip the four case mappings and two normalisations.
const ASCII = /^[\x00-\x7f]*$/;

export function isAscii(value: string): boolean {
  return ASCII.test(value);
}

export function foldKey(value: string): string {
  if (ASCII.test(value)) return value.toLowerCase();
  return fold(fold(value.normalize("NFC"))).normalize("NFC");
}

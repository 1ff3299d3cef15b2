// Case-insensitive comparison keys. SQLite's NOCASE and lower() fold ASCII only, so keys for unique or
// case-insensitive attributes are computed here: NFC first (so "é" composed and decomposed agree), then a
// full case fold (upper-then-lower maps "ß" to "ss" and "ǅ" to "ǆ", which lower() alone does not).
export function foldKey(value: string): string {
  return value.normalize("NFC").toUpperCase().toLowerCase().normalize("NFC");
}

// POST /v1/passwords/verify input, validated before anything is read. The password is never echoed: every
// message names only the field.
import { badRequest } from "./errors.ts";

/** Longer candidates are refused before hashing: PBKDF2's cost grows with the input, and no real password is this long. */
export const MAX_PASSWORD_LENGTH = 1024;

export type PasswordSubject = { kind: "userName"; value: string } | { kind: "id"; value: string };

export interface PasswordCheck {
  subject: PasswordSubject;
  password: string;
}

export function parsePasswordCheck(body: Record<string, unknown>): PasswordCheck {
  for (const key of Object.keys(body)) {
    if (!["userName", "id", "password"].includes(key)) throw badRequest("invalidSyntax", `Unknown field "${key}": send userName (or id) and password.`);
  }
  const { userName, id, password } = body;
  if ((userName === undefined) === (id === undefined)) throw badRequest("invalidValue", "Send exactly one of userName and id.");
  const subjectValue = userName ?? id;
  if (typeof subjectValue !== "string" || subjectValue === "" || subjectValue.length > 1024) {
    throw badRequest("invalidValue", `${userName !== undefined ? "userName" : "id"} must be a non-empty string of at most 1024 characters.`);
  }
  if (typeof password !== "string" || password === "" || password.length > MAX_PASSWORD_LENGTH) {
    throw badRequest("invalidValue", `password must be a non-empty string of at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
  return { subject: userName !== undefined ? { kind: "userName", value: subjectValue } : { kind: "id", value: subjectValue }, password };
}

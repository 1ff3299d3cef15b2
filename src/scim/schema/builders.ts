import type { AttributeDef, AttributeType } from "./types.ts";

type Options = Partial<Omit<AttributeDef, "name" | "type">>;

export function attr(name: string, type: AttributeType, description: string, options: Options = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: "readWrite",
    returned: "default",
    uniqueness: "none",
    ...options,
  };
}

export const str = (name: string, description: string, options: Options = {}) => attr(name, "string", description, options);

export function complex(name: string, description: string, subAttributes: AttributeDef[], options: Options = {}): AttributeDef {
  return attr(name, "complex", description, { ...options, subAttributes });
}

/**
 * The common shape of RFC 7643 multi-valued attributes: value, display, type, primary (+ extras).
 * `referenceTypes` goes with a `reference` value (RFC 7643 §7: every reference attribute names what it points
 * to); `primary: false` leaves primary out, as RFC 7643 §8.7.1 does for the server-computed `groups`.
 */
export function multiValued(
  name: string,
  description: string,
  options: {
    types?: string[];
    valueType?: AttributeType;
    referenceTypes?: string[];
    primary?: boolean;
    extra?: AttributeDef[];
    mutability?: AttributeDef["mutability"];
  } = {},
): AttributeDef {
  const sub: AttributeDef[] = [
    attr("value", options.valueType ?? "string", `The value of the ${name} entry.`, {
      mutability: options.mutability ?? "readWrite",
      ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
    }),
    str("display", "A human-readable name, primarily used for display purposes.", { mutability: options.mutability ?? "readWrite" }),
    str("type", `A label indicating the ${name} entry's function.`, {
      mutability: options.mutability ?? "readWrite",
      ...(options.types ? { canonicalValues: options.types } : {}),
    }),
    ...(options.primary === false ? [] : [attr("primary", "boolean", "Indicates the primary or preferred value.", { mutability: options.mutability ?? "readWrite" })]),
    ...(options.extra ?? []),
  ];
  return complex(name, description, sub, { multiValued: true, mutability: options.mutability ?? "readWrite" });
}

// Filter and attribute-path syntax trees (RFC 7644 §3.4.2.2 and §3.5.2 PATH grammar), as written by the
// client: names are not yet resolved against a schema.
export type CompareOp = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "lt" | "ge" | "le";
export type FilterValue = string | number | boolean | null;

/** `[urn:...:]attribute[.subAttribute]`. `uri` is the schema URN prefix when the path was qualified. */
export interface AttrPath {
  uri?: string;
  attribute: string;
  subAttribute?: string;
}

export type Filter =
  | { kind: "compare"; path: AttrPath; op: CompareOp; value: FilterValue }
  | { kind: "present"; path: AttrPath }
  | { kind: "and"; left: Filter; right: Filter }
  | { kind: "or"; left: Filter; right: Filter }
  | { kind: "not"; filter: Filter }
  /** `emails[type eq "work"]`: inside `filter`, paths name sub-attributes of `path.attribute`. */
  | { kind: "valuePath"; path: AttrPath; filter: Filter };

/** A PATCH path: `attr`, `attr.sub`, `urn:...:attr[.sub]`, `attr[filter]`, `attr[filter].sub`. */
export interface PatchPath {
  uri?: string;
  attribute: string;
  /** The filter between brackets, paths relative to `attribute`'s sub-attributes. */
  valueFilter?: Filter;
  subAttribute?: string;
}

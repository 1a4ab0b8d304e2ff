// Shared by the JUnit and Cobertura readers: fast-xml-parser's output shape, where an element that
// occurs once is an object and one that repeats is an array.
export type XmlNode = Record<string, unknown>;

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

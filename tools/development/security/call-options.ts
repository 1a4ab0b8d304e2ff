// The property names of the object literals a call is given, so sink rules can tell an ORM's
// options object ({ where, attributes }) from a MongoDB filter, or a confined res.sendFile
// ({ root }) from an open one, without type information.
import type TS from 'typescript';

type Typescript = typeof TS;

/** For each argument: the keys of its object literal, or undefined when it is not one. */
export function objectArgumentKeys(ts: Typescript, args: readonly TS.Expression[]): (string[] | undefined)[] {
  return args.map((argument) => {
    if (!ts.isObjectLiteralExpression(argument)) return undefined;
    const keys: string[] = [];
    for (const property of argument.properties) {
      const name = property.name;
      if (name && (ts.isIdentifier(name) || ts.isStringLiteral(name))) keys.push(name.text);
    }
    return keys;
  });
}

// Options only SQL ORMs take (Sequelize, TypeORM): a call given them is not a MongoDB query, and
// their where objects are bound as parameters (operators are Op symbols, which JSON cannot make).
const sqlOrmOptions = new Set(['where', 'attributes', 'include', 'replacements', 'individualHooks', 'paranoid']);

export function hasSqlOrmOptions(keys: readonly (readonly string[] | undefined)[] | undefined): boolean {
  return keys?.some((list) => list?.some((key) => sqlOrmOptions.has(key)) && !list.includes('$where')) ?? false;
}

/** res.sendFile(name, { root }) and res.download(name, filename, { root }): send confines the path to root. */
export function hasRootOption(keys: readonly (readonly string[] | undefined)[] | undefined): boolean {
  return keys?.slice(1).some((list) => list?.includes('root')) ?? false;
}

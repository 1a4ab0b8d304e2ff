// safe-regex2's star-height check, made safe to run on any pattern a repository or an agent
// supplies. Its parser (ret 0.5) loops forever on a decimal escape of 22 or more digits
// (`\1111111111111111111111`): with too few groups it re-reads the number as octal from its
// toString(), which for values from 1e21 up is exponent notation with no 8 or 9 to stop at. Such an
// escape is a single atom for star height (a back-reference or a character), so it is replaced by
// `\d`, another single atom, before the check; the analysis is unchanged and always ends.
import safeRegex from 'safe-regex2';

const longDecimalEscape = /\\\d{16,}/g;

/** Whether `source` is free of nested or overlapping quantifiers (star height ≤ 1). */
export function hasSafeStarHeight(source: string): boolean {
  return safeRegex(source.replace(longDecimalEscape, '\\d'));
}

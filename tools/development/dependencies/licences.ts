// Licence categories from SPDX expressions (parsed with spdx-expression-parse): for "A OR B" the
// user may pick the more permissive, for "A AND B" both bind, so the more restrictive counts.
import parseSpdx from 'spdx-expression-parse';

export type LicenceCategory = 'permissive' | 'weak-copyleft' | 'strong-copyleft' | 'proprietary' | 'unknown';

const order: LicenceCategory[] = ['permissive', 'weak-copyleft', 'strong-copyleft', 'proprietary', 'unknown'];
const permissive =
  /^(MIT|MIT-0|ISC|0BSD|BSD-[0-9]-Clause.*|Apache-2\.0|Apache-1\.1|Unlicense|CC0-1\.0|CC-BY-[34]\.0|BlueOak-1\.0\.0|Python-2\.0|Zlib|WTFPL|PSF-2\.0|BSL-1\.0|X11|Artistic-2\.0|AFL-[0-9.]+|UPL-1\.0|PostgreSQL|OpenSSL|NCSA)$/i;
const weak = /^(LGPL-.*|MPL-.*|EPL-.*|CDDL-.*|CPL-1\.0|EUPL-1\.[12]|OSL-.*|MS-RL|CC-BY-SA-.*)$/i;
const strong = /^(GPL-.*|AGPL-.*|SSPL-.*|RPL-.*|Sleepycat|CC-BY-NC.*)$/i;

type SpdxNode =
  | { license: string; plus?: boolean; exception?: string }
  | { left: SpdxNode; conjunction: 'and' | 'or'; right: SpdxNode };

function categoryOfId(id: string): LicenceCategory {
  if (permissive.test(id)) return 'permissive';
  if (weak.test(id)) return 'weak-copyleft';
  if (strong.test(id)) return 'strong-copyleft';
  return 'unknown';
}

function categoryOfNode(node: SpdxNode): LicenceCategory {
  if ('license' in node) return categoryOfId(node.license);
  const left = categoryOfNode(node.left);
  const right = categoryOfNode(node.right);
  const pick = node.conjunction === 'or' ? Math.min : Math.max;
  return order[pick(order.indexOf(left), order.indexOf(right))]!;
}

/** The category of a package's licence field, with the reason when it cannot be judged. */
export function licenceCategory(licence: string | undefined): { category: LicenceCategory; reason?: string } {
  if (!licence) return { category: 'unknown', reason: 'no licence declared' };
  if (/^UNLICENSED$/i.test(licence))
    return { category: 'proprietary', reason: 'UNLICENSED: no right to use is granted' };
  if (/^SEE LICEN[CS]E IN /i.test(licence)) return { category: 'unknown', reason: `custom licence (${licence})` };
  try {
    const category = categoryOfNode(parseSpdx(licence.replace(/^\((.*)\)$/, '$1')) as SpdxNode);
    return category === 'unknown'
      ? { category, reason: `"${licence}" is not a licence this audit knows` }
      : { category };
  } catch {
    return { category: 'unknown', reason: `"${licence}" is not a valid SPDX expression` };
  }
}

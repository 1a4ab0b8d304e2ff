// Sources and sinks the taint engine reaches through shapes other than a plain call: archive
// entries (zip slip) and URL-valued DOM properties and JSX attributes (javascript: URLs).
import { fixedUrlStart, type CallSite, type SinkSpec } from './sink-rules.js';

const iterating = new Set(['forEach', 'map', 'filter', 'some', 'every', 'flatMap', 'find']);

/**
 * How a callback passed to this call receives archive entries: 'event' for
 * `.on('entry', e => ...)` (unzipper, tar-stream, tar.Parse), 'each' for an iteration that is an
 * archive entry only when its receiver holds entries (`zip.getEntries().forEach(e => ...)`).
 * yauzl (by convention `zipfile.on('entry')`) rejects unsafe names itself, so it is left out.
 */
export function archiveCallback(site: CallSite, firstLiteral: string | undefined): 'event' | 'each' | undefined {
  if ((site.name === 'on' || site.name === 'once') && firstLiteral === 'entry')
    return site.receiver && /^zip[fF]ile$/.test(site.receiver) ? undefined : 'event';
  if (site.receiver && iterating.has(site.name)) return 'each';
  return undefined;
}

/** adm-zip `zip.getEntries()`: each entry's entryName is whatever the archive says. */
export function archiveSource(site: CallSite): boolean {
  return site.name === 'getEntries' && site.receiver !== undefined && site.argumentCount === 0;
}

const domReceiver =
  /(\)|^(a|el|elem|element|link|anchor|form|node|target|iframe|frame|script)|(Link|Anchor|Form|Element|El|Button|Btn|Iframe|Frame|Script))$/;

/** `el.href = x`, `iframe.src = x`, `location.href = x`: the browser navigates to or loads x. */
export function urlProperty(property: string, receiver: string): SinkSpec | undefined {
  const spec = (what: string): SinkSpec => ({ cls: 'url', argument: 0, what, safe: fixedUrlStart });
  if (
    (property === 'href' && /(^|\.)location$/.test(receiver)) ||
    (property === 'location' && /^(window|document|self|top)$/.test(receiver))
  )
    return spec('assigning location runs a javascript: URL');
  if (/(^|\.)location$/.test(receiver)) return undefined;
  if ((property === 'href' || property === 'action' || property === 'formAction') && domReceiver.test(receiver))
    return spec(`${property} set to a javascript: URL runs it when followed`);
  if (property === 'src' && /iframe|frame|script|embed/i.test(receiver))
    return spec('src set to a javascript: URL runs it in the page');
  return undefined;
}

/** JSX `<a href={x}>`, `<form action={x}>`, `<iframe src={x}>`. */
export function urlAttribute(attribute: string, tag: string): SinkSpec | undefined {
  const spec = (what: string): SinkSpec => ({ cls: 'url', argument: 0, what, safe: fixedUrlStart });
  if (attribute === 'href' || attribute === 'action' || attribute === 'formAction')
    return spec(`<${tag} ${attribute}> with a javascript: URL runs it when followed`);
  if (attribute === 'src' && /^(iframe|frame|embed)$/.test(tag)) return spec(`<${tag} src> runs a javascript: URL`);
  return undefined;
}

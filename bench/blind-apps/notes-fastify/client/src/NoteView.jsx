import React, { useEffect, useState } from 'react';
import marked from 'marked';
import DOMPurify from 'dompurify';
import { api } from './api';

function allowedHref(url) {
  try {
    const parsed = new URL(url, window.location.origin);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? parsed.href : undefined;
  } catch (e) {
    return undefined;
  }
}

export function NotePreview({ note }) {
  return (
    <article className="note-preview">
      <h2>{note.title}</h2>
      <div className="markdown" dangerouslySetInnerHTML={{ __html: marked(note.body || '') }} /> {/* vuln: CWE-79 */}
      {note.link && <a href={note.link}>Source</a>} {/* vuln: CWE-79 */}
    </article>
  );
}

export function NoteReader({ id }) {
  const [note, setNote] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    let cancelled = false;
    api.rendered(id).then((n) => !cancelled && setNote(n)).catch((e) => !cancelled && setError(e.message));
    return () => {
      cancelled = true;
    };
  }, [id]);

  if (error) return <p className="error">{error}</p>;
  if (!note) return <p>Loading…</p>;
  return (
    <article className="note-reader">
      <h2>{note.title}</h2>
      <div className="markdown" dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(note.html) }} />
    </article>
  );
}

export function NoteCard({ note, onOpen }) {
  const href = allowedHref(note.link);
  return (
    <li className="note-card">
      <button type="button" onClick={() => onOpen(note.id)}>{note.title}</button>
      <time>{new Date(note.updatedAt).toLocaleString()}</time>
      {href && <a href={href} rel="noopener noreferrer" target="_blank">link</a>}
    </li>
  );
}

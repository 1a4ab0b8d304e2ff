import React, { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api } from './api';
import { NoteCard, NotePreview, NoteReader } from './NoteView';
import { mountEditor } from './editor';

function App() {
  const [notes, setNotes] = useState([]);
  const [openId, setOpenId] = useState(null);
  const [draft, setDraft] = useState({ title: '', body: '' });

  useEffect(() => {
    api.list().then(setNotes).catch(() => setNotes([]));
  }, []);

  async function create(e) {
    e.preventDefault();
    const note = await api.create(draft.title, draft.body);
    setNotes([note, ...notes]);
    setDraft({ title: '', body: '' });
  }

  return (
    <main>
      <form onSubmit={create} className="new-note">
        <input value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} placeholder="Title" />
        <textarea value={draft.body} onChange={(e) => setDraft({ ...draft, body: e.target.value })} />
        <button type="submit">Create</button>
      </form>
      {draft.body && <NotePreview note={draft} />}
      <ul className="notes">
        {notes.map((n) => <NoteCard key={n.id} note={n} onOpen={setOpenId} />)}
      </ul>
      {openId && <NoteReader id={openId} />}
    </main>
  );
}

createRoot(document.getElementById('root')).render(<App />);
mountEditor(document.getElementById('live-preview'));

const TRUSTED_ORIGINS = new Set([window.location.origin, 'https://notes.example.com']);

export function mountEditor(previewEl: HTMLElement | null): void {
  if (!previewEl) return;

  window.addEventListener('message', (event: MessageEvent) => {
    if (event.data && event.data.type === 'preview') {
      previewEl.innerHTML = event.data.html; // vuln: CWE-79
    }
  });

  window.addEventListener('message', (event: MessageEvent) => {
    if (!TRUSTED_ORIGINS.has(event.origin)) return;
    if (event.data && event.data.type === 'status') {
      const status = document.getElementById('editor-status');
      if (status) status.textContent = String(event.data.text);
    }
  });
}

export function wordCount(text: string): number {
  return text.trim().split(/\s+/).filter(Boolean).length;
}

// File extension to language, for project summaries.
const byExtension: Record<string, string> = {
  '.ts': 'TypeScript',
  '.tsx': 'TypeScript',
  '.mts': 'TypeScript',
  '.cts': 'TypeScript',
  '.js': 'JavaScript',
  '.jsx': 'JavaScript',
  '.mjs': 'JavaScript',
  '.cjs': 'JavaScript',
  '.py': 'Python',
  '.pyi': 'Python',
  '.go': 'Go',
  '.rs': 'Rust',
  '.java': 'Java',
  '.kt': 'Kotlin',
  '.rb': 'Ruby',
  '.php': 'PHP',
  '.cs': 'C#',
  '.c': 'C',
  '.h': 'C',
  '.cc': 'C++',
  '.cpp': 'C++',
  '.hpp': 'C++',
  '.swift': 'Swift',
  '.scala': 'Scala',
  '.sh': 'Shell',
  '.bash': 'Shell',
  '.sql': 'SQL',
  '.html': 'HTML',
  '.htm': 'HTML',
  '.css': 'CSS',
  '.scss': 'SCSS',
  '.less': 'Less',
  '.vue': 'Vue',
  '.svelte': 'Svelte',
  '.json': 'JSON',
  '.yaml': 'YAML',
  '.yml': 'YAML',
  '.toml': 'TOML',
  '.xml': 'XML',
  '.md': 'Markdown',
  '.mdx': 'Markdown',
  '.ejs': 'EJS',
  '.pug': 'Pug',
  '.hbs': 'Handlebars',
  '.graphql': 'GraphQL',
  '.proto': 'Protocol Buffers',
  '.lua': 'Lua',
  '.r': 'R',
  '.dart': 'Dart',
  '.ex': 'Elixir',
  '.exs': 'Elixir',
  '.erl': 'Erlang',
  '.hs': 'Haskell',
  '.zig': 'Zig',
};
const byName: Record<string, string> = { Dockerfile: 'Dockerfile', Makefile: 'Makefile' };

export function languageOf(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  if (byName[base]) return byName[base];
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return 'Other';
  return byExtension[base.slice(dot).toLowerCase()] ?? 'Other';
}

export const scriptExtensions = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);

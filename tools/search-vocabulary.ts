// The words findTools' ranking ignores, and the synonyms it knows for the catalogue's vocabulary:
// the ways developers and agents name the same thing ("vuln", "deps", "box"). A synonym expands a
// query word at a discount; it never replaces it. Keep entries general: a word belongs here when it
// means the same thing in any request, not because one test query needs it.

export const stopWords: ReadonlySet<string> = new Set(
  (
    'a an the of to for and or in on at by from into onto with without about over under than then ' +
    "is are was were be been being am it its it's this that these those there here " +
    'i me my mine we us our ours you your yours he she they them their his her ' +
    'do does did done doing has have had having can could would should will shall may might must not ' +
    'how what which who whom whose when where why whether if so as any some all every each ' +
    'please just also very really quickly right now yet still ' +
    'want wants need needs like let lets give tell get got make help try trying ' +
    'thing things something anything everything stuff one ones way'
  ).split(/\s+/),
);

/**
 * Everyday words that say what to do or when, but not what about ("create", "send", "next",
 * "app"). They rank as usual, but count half towards a match being good: "send an email" should
 * not pass as a request for a tool whose description happens to say "send".
 */
export const everydayWords: ReadonlySet<string> = new Set(
  (
    'create make new find search look show get give set up open close send write read add put take use ' +
    'start go come know think say ask call plan book order buy pay generate current latest next last ' +
    'today tomorrow yesterday week month year time day good best old big small app data message text ' +
    'name number information info question answer people user team idea convert update free cheap simple quick'
  ).split(/\s+/),
);

/**
 * Each group is one meaning; the first word of a group is not special. Words with a second common
 * meaning in this catalogue stay out ("node" the runtime, "load" a snapshot, "token" of an LLM), and
 * so do distinct actions on one thing ("remember" and "recall", "list" and "show").
 */
const synonymGroups: readonly string[][] = [
  ['vulnerability', 'vuln', 'vulnerable', 'cve', 'advisory', 'exploit'],
  ['security', 'secure', 'insecure', 'vulnerability'],
  ['dependency', 'deps', 'dep', 'package', 'packages', 'library'],
  ['performance', 'slow', 'latency', 'speed'],
  ['gpu', 'pool', 'vram', 'cuda', 'accelerator'],
  ['host', 'machine', 'box', 'gpu'],
  ['model', 'llm', 'weights'],
  ['llm', 'ai', 'model', 'gpt', 'claude', 'ollama'],
  ['project', 'repo', 'repository', 'codebase', 'workspace', 'monorepo'],
  ['function', 'func', 'method', 'routine'],
  ['delete', 'remove', 'erase', 'drop', 'purge', 'forget', 'rid'],
  ['secret', 'credential', 'password', 'leak'],
  ['cost', 'spend', 'spent', 'money', 'bill', 'price', 'usd', 'dollar'],
  ['cycle', 'circular', 'loop'],
  ['duplicate', 'clone', 'copy', 'repeat', 'dedupe'],
  ['complexity', 'complex', 'complicated', 'branchy', 'mccabe'],
  ['test', 'spec', 'tests', 'suite'],
  ['license', 'licence', 'licensing'],
  ['copyleft', 'gpl', 'agpl', 'lgpl', 'mpl'],
  ['vector', 'embedding', 'embed'],
  ['document', 'doc', 'note', 'page'],
  ['regex', 'regexp', 'pattern'],
  ['route', 'endpoint', 'url', 'handler'],
  ['configuration', 'config', 'settings', 'options'],
  ['fix', 'patch', 'remediate', 'autofix', 'repair'],
  ['cancel', 'abort', 'stop', 'kill', 'halt'],
  ['unload', 'evict', 'release'],
  ['pull', 'download'],
  ['semantic', 'similar', 'similarity', 'meaning', 'nearest'],
  ['macro', 'economy', 'economic', 'macroeconomic'],
  ['statistic', 'indicator'],
  ['country', 'nation', 'economy'],
  ['history', 'past', 'historical'],
  ['commit', 'revision', 'changeset'],
  ['author', 'wrote', 'writer', 'blame'],
  ['health', 'healthy', 'alive', 'reachable'],
  ['graph', 'kuzu', 'kg'],
  ['snapshot', 'archive', 'backup'],
  ['verify', 'validate', 'integrity', 'corrupt', 'corrupted'],
  ['compare', 'diff', 'difference', 'versus', 'vs'],
  ['list', 'enumerate', 'inventory'],
  ['unused', 'dead', 'orphan', 'orphaned', 'unreferenced', 'nobody'],
  ['usage', 'caller', 'reference', 'invoke', 'invocation', 'call'],
  ['definition', 'declare', 'declared', 'define', 'defined', 'declaration'],
  ['coverage', 'covered', 'uncovered'],
  ['structure', 'layout', 'tree', 'overview'],
  ['typescript', 'ts', 'tsc'],
  ['lockfile', 'lock'],
  ['cpu', 'processor'],
  ['ram', 'memory'],
  ['disk', 'storage', 'space'],
  ['signal', 'alert', 'scanner'],
  ['risk', 'risky', 'danger', 'dangerous'],
  ['shock', 'stress', 'scenario'],
  ['change', 'modify', 'modified', 'edit', 'edited', 'alter', 'touch', 'touched', 'rewrite', 'rewritten'],
  ['frequency', 'often', 'frequently'],
  ['run', 'execute', 'launch', 'start', 'kick'],
  ['size', 'big', 'large', 'largest'],
  ['summary', 'summarise', 'summarize', 'overview', 'profile'],
  ['failure', 'fail', 'failed', 'failing', 'broken', 'error'],
  ['reachable', 'reach', 'connect', 'connection', 'ping'],
  ['store', 'save', 'persist', 'record'],
  ['rebuild', 'reindex', 'reembed', 're-embed'],
  ['remember', 'memorise', 'memorize', 'jot'],
  ['latest', 'last', 'recent', 'newest', 'lately'],
  ['show', 'display', 'print', 'view'],
  ['key', 'id', 'identifier'],
  ['partner', 'neighbour', 'neighbor'],
  ['regime', 'stressed', 'tranquil', 'crisis', 'calm'],
  ['series', 'timeline', 'trend', 'plot', 'chart', 'evolution'],
  ['contagion', 'spillover', 'ripple'],
  ['restore', 'rollback', 'revert'],
  ['recall', 'retrieve', 'lookup'],
  ['pass', 'passing', 'green'],
  ['failure', 'red'],
  ['upgrade', 'update', 'bump'],
  ['refactor', 'cleanup', 'simplify'],
  ['complexity', 'readability', 'readable'],
  ['aggregate', 'average', 'mean', 'regional'],
  ['propagate', 'propagation', 'downstream', 'ripple'],
  ['probe', 'recheck', 'refresh'],
  ['endpoint', 'api'],
  // Files and browsers: the mounted servers' vocabulary (issue 20).
  ['folder', 'directory', 'dir'],
  ['rename', 'move', 'mv'],
  ['browser', 'chromium', 'chrome', 'website', 'webpage'],
  ['navigate', 'visit', 'browse', 'goto'],
  ['screenshot', 'capture', 'screengrab'],
  ['click', 'press', 'tap'],
  ['relation', 'relationship', 'link'],
  ['observation', 'fact'],
  ['disable', 'drain', 'cordon'],
];

/** Stemmed word -> stemmed synonyms (not including itself), built once by the caller's stemmer. */
export function synonymTable(stemWord: (word: string) => string): ReadonlyMap<string, readonly string[]> {
  const table = new Map<string, Set<string>>();
  for (const group of synonymGroups) {
    const stems = [...new Set(group.map((word) => stemWord(word)))];
    for (const word of stems) {
      let set = table.get(word);
      if (!set) table.set(word, (set = new Set()));
      for (const other of stems) if (other !== word) set.add(other);
    }
  }
  return new Map([...table].map(([word, set]) => [word, [...set]]));
}

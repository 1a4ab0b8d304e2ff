// The knowledge layer as the rest of Caelum sees it. The Kuzu graph and HNSW index arrive with
// issue 4 behind this interface; until then the store reports that nothing is built.

export interface KnowledgeStatus {
  graph: { available: boolean; detail: string };
  vectors: { available: boolean; detail: string };
}

export interface KnowledgeStore {
  status(): KnowledgeStatus;
}

export function createKnowledgeStore(options: { dataDir: string }): KnowledgeStore {
  const status: KnowledgeStatus = {
    graph: { available: false, detail: `no graph built under ${options.dataDir}/knowledge yet` },
    vectors: { available: false, detail: `no vector index built under ${options.dataDir}/knowledge yet` },
  };
  return { status: () => status };
}

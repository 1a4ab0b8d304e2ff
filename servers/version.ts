// Caelum's version as announced to MCP clients; a test keeps it equal to package.json's.
export const caelumVersion = '0.1.0';

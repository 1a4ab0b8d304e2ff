// A configuration that cannot be used: the CLI prints the message and exits non-zero.
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

// Number and time formats shared by the views. Money keeps six decimals under a cent, as the MCP
// tools' text does, so small costs do not show as $0.00.
export function usd(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return `${value < 0 ? '-' : ''}$${Math.abs(value) !== 0 && Math.abs(value) < 0.01 ? Math.abs(value).toFixed(6) : Math.abs(value).toFixed(4)}`;
}

export function pct(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : `${(value * 100).toFixed(digits)}%`;
}

export function int(value: number | undefined): string {
  return value === undefined ? 'n/a' : Math.round(value).toLocaleString('en-US');
}

export function ms(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

export function bytes(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value;
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** ISO time as "2026-12-04 20:31:05" (UTC), stable for tests and screenshots. */
export function when(iso: string | undefined): string {
  if (!iso) return 'n/a';
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
    .replace('Z', ' UTC');
}

/** Seconds since the epoch, as uPlot wants x values. */
export function epochSeconds(isoOrDate: string): number {
  return (
    Date.parse(
      isoOrDate.length === 7
        ? `${isoOrDate}-01T00:00:00Z`
        : isoOrDate.length === 10
          ? `${isoOrDate}T00:00:00Z`
          : isoOrDate,
    ) / 1000
  );
}

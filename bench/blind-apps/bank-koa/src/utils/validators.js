const EMAIL = /^([a-zA-Z0-9_\.\-])+\@(([a-zA-Z0-9\-])+\.)+([a-zA-Z0-9]{2,4})+$/;
const IBAN = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isEmail(value) {
  return typeof value === 'string' && EMAIL.test(value); // vuln: CWE-1333
}

export function isIban(value) {
  return typeof value === 'string' && value.length <= 34 && IBAN.test(value);
}

export function isIsoDate(value) {
  return typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value));
}

export function toAmountCents(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return null;
  return Math.round(n * 100);
}

export function isLocalReturnPath(value) {
  return typeof value === 'string' && /^\/[A-Za-z0-9/_-]*$/.test(value);
}

// The ESLint peers ship no type declarations.
declare module 'eslint-plugin-security';
declare module 'eslint-plugin-no-unsanitized';

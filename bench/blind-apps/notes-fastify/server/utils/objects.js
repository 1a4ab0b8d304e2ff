'use strict';

function setByPath(target, dottedPath, value) {
  const parts = String(dottedPath).split('.');
  let node = target;
  for (let i = 0; i < parts.length - 1; i += 1) {
    if (typeof node[parts[i]] !== 'object' || node[parts[i]] === null) node[parts[i]] = {};
    node = node[parts[i]];
  }
  node[parts[parts.length - 1]] = value; // vuln: CWE-1321
  return target;
}

const SETTING_KEYS = new Set(['theme', 'fontSize', 'editor.vim', 'editor.spellcheck', 'notifications.email']);

function setKnownSetting(target, dottedPath, value) {
  if (!SETTING_KEYS.has(dottedPath)) return false;
  const [head, tail] = dottedPath.split('.');
  if (tail) {
    target[head] = Object.assign({}, target[head], { [tail]: value });
  } else {
    target[head] = value;
  }
  return true;
}

module.exports = { setByPath, setKnownSetting };

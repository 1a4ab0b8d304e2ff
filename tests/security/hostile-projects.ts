// Hostile project content, built at test time, for the confined file layer: links out of the root
// (files and directories), links to /dev/zero, a FIFO, sparse huge sources, a lockfile whose keys
// climb out, a tsconfig that extends outside, report files linked out. Everything outside the root
// carries `outsideCanary`, so a test can tell whether any outside byte came back.
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const outsideCanary = 'OUTSIDE-CANARY-c0ffee-93d1';

async function write(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

/** Files outside the root that the hostile project points at. */
export async function outsideTree(outside: string): Promise<void> {
  const c = outsideCanary;
  await write(path.join(outside, 'secret.ts'), `export const secret = '${c}';\neval(process.argv[2]);\n`);
  await write(
    path.join(outside, 'src', 'stolen.ts'),
    `// ${c}\nexport function stolen(x: string) { return eval(x); }\n`,
  );
  await write(
    path.join(outside, 'pkg', 'package.json'),
    JSON.stringify({
      name: `pkg-${c}`,
      version: '9.9.9',
      license: `LICENSE-${c}`,
      scripts: { postinstall: `echo ${c}` },
    }),
  );
  await write(path.join(outside, 'pkg', 'binding.gyp'), `{ "targets": [] } # ${c}\n`);
  await write(path.join(outside, 'not-json.txt'), `${c} this is not JSON at all\n`);
  await write(
    path.join(outside, 'tsconfig.base.json'),
    JSON.stringify({ compilerOptions: { strict: true, noImplicitAny: true, paths: { [c]: [c] } } }),
  );
  await write(path.join(outside, 'coverage', 'lcov.info'), `TN:\nSF:${c}.ts\nDA:1,1\nLF:1\nLH:1\nend_of_record\n`);
  await write(
    path.join(outside, 'results.xml'),
    `<?xml version="1.0"?><testsuites><testsuite name="${c}" tests="1" failures="1"><testcase name="${c}"><failure message="${c}"/></testcase></testsuite></testsuites>\n`,
  );
  await write(path.join(outside, 'graph.json'), `{"countries": [{"iso3": "${c}"}]}`);
}

/**
 * Adds hostile content to `project` (which may already be a repository). `outside` must be a sibling
 * of the project, outside every allowed root; call outsideTree(outside) first.
 */
export async function hostileProject(project: string, outside: string): Promise<void> {
  const rel = (target: string) => path.relative(project, target);
  await write(
    path.join(project, 'src', 'app.js'),
    "const https = require('https');\nfunction get(url) {\n  return https.get(url, { rejectUnauthorized: false });\n}\nmodule.exports = { get };\n",
  );
  // Links out: a source file, a source directory, a module directory, report files and a directory of them.
  await symlink(path.join(outside, 'secret.ts'), path.join(project, 'src', 'leak.ts'));
  await symlink(path.join(outside, 'src'), path.join(project, 'linked-src'));
  await symlink(path.join(outside, 'coverage'), path.join(project, 'coverage'));
  await mkdir(path.join(project, 'reports'), { recursive: true });
  await symlink(path.join(outside, 'results.xml'), path.join(project, 'reports', 'results.xml'));
  await symlink(path.join(outside, 'graph.json'), path.join(project, 'graph.json'));
  await symlink(path.join(outside, 'not-json.txt'), path.join(project, 'tsconfig.strict.json'));
  await mkdir(path.join(project, 'node_modules'), { recursive: true });
  await symlink(path.join(outside, 'pkg'), path.join(project, 'node_modules', 'linked-pkg'));
  // Devices, FIFOs, sparse huge files.
  await symlink('/dev/zero', path.join(project, 'src', 'zero.js'));
  await mkdir(path.join(project, 'sub'), { recursive: true });
  await symlink('/dev/zero', path.join(project, 'sub', '.gitignore'));
  execFileSync('mkfifo', [path.join(project, 'src', 'pipe.js')]);
  for (let i = 1; i <= 4; i++) {
    const big = path.join(project, 'big', `huge${i}.js`);
    await write(big, '');
    await truncate(big, 500 * 1024 * 1024);
  }
  // A lockfile whose keys climb out, and a tsconfig that extends outside.
  await write(
    path.join(project, 'package-lock.json'),
    JSON.stringify({
      name: 'fixture',
      lockfileVersion: 3,
      packages: {
        '': { name: 'fixture', version: '1.0.0', dependencies: { 'linked-pkg': '1.0.0', climb: '1.0.0' } },
        'node_modules/linked-pkg': { version: '1.0.0', hasInstallScript: true },
        [`${rel(path.join(outside, 'pkg'))}`]: { version: '1.0.0', hasInstallScript: true },
        'node_modules/climb': { version: '1.0.0', hasInstallScript: true },
        '../../../../../../../../../../tmp': { version: '1.0.0', hasInstallScript: true },
      },
    }),
  );
  await symlink(path.join(outside, 'pkg'), path.join(project, 'node_modules', 'climb'));
  await write(path.join(project, 'tsconfig.json'), JSON.stringify({ extends: `${rel(outside)}/tsconfig.base.json` }));
}

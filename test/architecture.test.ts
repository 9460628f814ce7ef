import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
}

describe('dependency direction cli → connectors, operators → src', () => {
  it('src/ imports neither rxjs, kafkajs nor the layers above it', () => {
    const offenders = sourceFiles(path.join(root, 'src')).flatMap((file) =>
      importsOf(file)
        .filter((spec) => /^(rxjs|kafkajs)(\/|$)/.test(spec) || /(^|\/)(operators|connectors|cli)\//.test(spec))
        .map((spec) => `${path.relative(root, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('operators/ and connectors/ never import cli/', () => {
    const dirs = ['operators', 'connectors'].map((d) => path.join(root, d));
    const offenders = dirs.flatMap((dir) =>
      sourceFiles(dir).flatMap((file) =>
        importsOf(file)
          .filter((spec) => /(^|\/)cli\//.test(spec))
          .map((spec) => `${path.relative(root, file)} imports ${spec}`),
      ),
    );
    expect(offenders).toEqual([]);
  });
});

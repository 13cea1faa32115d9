import { describe, expect, it } from 'vitest';
import { createPiiScanner } from '../src/index.ts';
import { valuesFound } from './scan-values.ts';

describe('email detector', () => {
  it('finds addresses in prose, brackets, quotes, JSON and mailto links', () => {
    const text = 'Mail alice.nguyen@example.com or <ops+alerts@example.net>; "j.doe@mail.example.com", {"email":"RAJ.PATEL@EXAMPLE.COM"} and mailto:x@example.org?subject=hi';
    expect(valuesFound('email', text)).toEqual(['alice.nguyen@example.com', 'ops+alerts@example.net', 'j.doe@mail.example.com', 'RAJ.PATEL@EXAMPLE.COM', 'x@example.org']);
  });

  it('leaves sentence punctuation out of the address', () => {
    expect(valuesFound('email', 'Write to bob@example.org. Or to carol@example.com, then stop.')).toEqual(['bob@example.org', 'carol@example.com']);
  });

  it('reports offsets that slice back to the value', () => {
    const text = 'contact: dev.null+test123@example.net (backup)';
    const [finding] = createPiiScanner({ detectors: ['email'] }).scan(text);
    expect(finding).toMatchObject({ detector: 'email', value: 'dev.null+test123@example.net' });
    expect(text.slice(finding!.start, finding!.end)).toBe(finding!.value);
  });

  it('does not take package versions, IP hosts, handles, decorators or scoped packages for addresses', () => {
    const text = 'npm i react@18.3.1; ssh admin@192.0.2.44; ping @alice or @bob.oncall; @app.route("/v1"); use @example/sdk';
    expect(valuesFound('email', text)).toEqual([]);
  });

  it('does not take the user-info of a URL (a token before @host) for an address', () => {
    expect(valuesFound('email', 'git remote set-url origin https://ghp_abc123@github.com/example/repo.git')).toEqual([]);
  });

  it('refuses local parts with a leading, trailing or doubled dot only where they are wrong', () => {
    expect(valuesFound('email', 'a..b@example.com and c.@example.com')).toEqual([]);
    expect(valuesFound('email', '.d@example.com')).toEqual(['d@example.com']);
  });
});

// The handover commands' arguments: anything but what the command takes is refused before any
// file or database is touched (the command then prints its usage in Japanese and exits 2).
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/features/handover/cli/common.js';

const EXPORT = ['sjis', 'encrypt', 'password-file'] as const;
const IMPORT = ['password-file'] as const;

describe('handover command lines', () => {
  it('When the export or the import gets what it takes, then the file and options come back as given', () => {
    expect(parseCommandLine(['out.zip', '--sjis', '--encrypt'], EXPORT)).toEqual({ file: 'out.zip', sjis: true, encrypt: true, passwordFile: undefined });
    expect(parseCommandLine(['out.zip', '--password-file', 'pw.txt'], EXPORT)).toEqual({ file: 'out.zip', sjis: false, encrypt: false, passwordFile: 'pw.txt' });
    expect(parseCommandLine(['in.zip.gpg', '--password-file=pw.txt'], IMPORT)).toEqual({ file: 'in.zip.gpg', sjis: false, encrypt: false, passwordFile: 'pw.txt' });
  });

  const hostile: [string, string[], readonly ('sjis' | 'encrypt' | 'password-file')[]][] = [
    ['no file', [], EXPORT],
    ['two files', ['a.zip', 'b.zip'], EXPORT],
    ['an empty file name', [''], EXPORT],
    ['a NUL byte in the file name', ['out\u0000.zip'], EXPORT],
    ['a password file given twice', ['out.zip', '--password-file', 'a.txt', '--password-file', 'b.txt'], EXPORT],
    ['--sjis twice', ['out.zip', '--sjis', '--sjis'], EXPORT],
    ['--encrypt with a password file', ['out.zip', '--encrypt', '--password-file', 'pw.txt'], EXPORT],
    ['an empty password file name', ['out.zip', '--password-file='], EXPORT],
    ['an option no command takes', ['out.zip', '--force'], EXPORT],
    ['--sjis to the import', ['in.zip', '--sjis'], IMPORT],
    ['--encrypt to the import', ['in.zip', '--encrypt'], IMPORT],
    ['--password-file without its value', ['in.zip', '--password-file'], IMPORT],
  ];
  it.each(hostile)('When the command line has %s, then it is refused', (_name, args, accepted) => {
    expect(parseCommandLine(args, accepted)).toBeNull();
  });
});

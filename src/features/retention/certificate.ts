// The deletion certificate (消去証明書) of a contract-end erasure: a JSON file to keep, and an HTML
// page that prints on one A4 sheet, both naming what was deleted, how many rows, when and by whom.
// The page quotes the JSON file's SHA-256, so the paper and the file vouch for each other.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { translator } from '../../lib/i18n.js';
import { formatJstDateTime } from '../../lib/jst.js';
import type { ErasureCertificate } from './erasure.js';
import { escapeHtml } from '../../lib/html.js';

export function certificateJson(certificate: ErasureCertificate): string {
  return `${JSON.stringify(certificate, null, 2)}\n`;
}

export function certificateHtml(certificate: ErasureCertificate, jsonSha256: string): string {
  const t = translator();
  const row = (label: string, value: string) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`;
  const tables = certificate.tables
    .map((table) => `<tr><td>${escapeHtml(t(`data.tables.${table.table}`))}</td><td><code>${escapeHtml(table.table)}</code></td><td class="n">${table.rows}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>${escapeHtml(t('erasure.certificate.title'))}</title>
<style>
  @page { size: A4; margin: 18mm; }
  body { font-family: sans-serif; font-size: 10.5pt; color: #000; max-width: 174mm; margin: 0 auto; }
  h1 { font-size: 18pt; text-align: center; margin: 0 0 6mm; }
  table { width: 100%; border-collapse: collapse; margin: 3mm 0; }
  th, td { border: 1px solid #000; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
  .n { text-align: right; }
  .sign { margin-top: 10mm; display: flex; justify-content: space-between; }
  .sign div { width: 45%; border-bottom: 1px solid #000; height: 12mm; }
  code { font-size: 8.5pt; word-break: break-all; }
</style>
</head>
<body>
<h1>${escapeHtml(t('erasure.certificate.title'))}</h1>
<p>${escapeHtml(t('erasure.certificate.statement'))}</p>
<table>
${row(t('erasure.certificate.id'), certificate.certificateId)}
${row(t('erasure.certificate.database'), certificate.database)}
${row(t('erasure.certificate.startedAt'), formatJstDateTime(new Date(certificate.startedAt)))}
${row(t('erasure.certificate.finishedAt'), formatJstDateTime(new Date(certificate.finishedAt)))}
${row(t('erasure.certificate.operator'), certificate.operator)}
${row(t('erasure.certificate.role'), certificate.databaseRole)}
${row(t('erasure.certificate.total'), t('erasure.certificate.rows', { rows: certificate.totalRows }))}
${row(t('erasure.certificate.remaining'), t('erasure.certificate.rows', { rows: certificate.remainingRows }))}
</table>
<table>
<thead><tr><th scope="col">${escapeHtml(t('erasure.certificate.what'))}</th><th scope="col">${escapeHtml(t('erasure.certificate.table'))}</th><th scope="col" class="n">${escapeHtml(t('erasure.certificate.deleted'))}</th></tr></thead>
<tbody>
${tables}
</tbody>
</table>
<p>${escapeHtml(t('erasure.certificate.kept', { tables: certificate.keptTables.map((table) => `${t(`data.tables.${table}`)} (${table})`).join('、') }))}</p>
<p>${escapeHtml(t('erasure.certificate.file'))} <code>SHA-256 ${jsonSha256}</code></p>
<div class="sign"><div>${escapeHtml(t('erasure.certificate.signOperator'))}</div><div>${escapeHtml(t('erasure.certificate.signWitness'))}</div></div>
</body>
</html>
`;
}

/** Writes the certificate as JSON and as a printable page into `dir`; returns both paths. */
export async function writeCertificate(certificate: ErasureCertificate, dir: string): Promise<{ json: string; html: string }> {
  const json = certificateJson(certificate);
  const stamp = certificate.finishedAt.replace(/[-:]/g, '').replace(/\..*$/, '');
  const base = path.join(dir, `erasure-certificate-${stamp}-${certificate.certificateId.slice(0, 8)}`);
  const files = { json: `${base}.json`, html: `${base}.html` };
  await writeFile(files.json, json, { flag: 'wx' });
  await writeFile(files.html, certificateHtml(certificate, createHash('sha256').update(json).digest('hex')), { flag: 'wx' });
  return files;
}

// README.md of a handover file: how to check and read it, and what every table and column means
// (from the schema's `///` comments, through the manifest). Written for the city's IT staff and
// the next vendor, in Japanese.
import type { Manifest } from './export.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function readmeText(manifest: Manifest): string {
  const encoding = manifest.encoding === 'sjis' ? 'Shift_JIS (CP932)、BOM なし' : 'UTF-8 (BOM 付き)';
  const lines = [
    '# マイナンバーカード交付予約システム 引継ぎデータ',
    '',
    `作成日時: ${manifest.createdAt} (UTC)。全テーブルを同じ時点 (一つのスナップショット) で書き出しています。`,
    '',
    '## 確かめ方',
    '',
    '- 展開したフォルダで `sha256sum -c SHA256SUMS` を実行すると、全ファイルのチェックサムを確かめられます (Windows では PowerShell の `Get-FileHash -Algorithm SHA256 ファイル名` の値と SHA256SUMS の値を見比べます)。',
    '- 暗号化されたファイル (.gpg) は `gpg --decrypt ファイル.zip.gpg > ファイル.zip` で復号します。パスワードは別の経路でお渡しします。',
    '- manifest.json に、各テーブルの行数・列・型と、以下の書き方の規則を機械で読める形で記載しています。',
    '',
    '## CSV の書き方',
    '',
    `- 文字コード: ${encoding}。改行: CRLF。1 行目は列名です。`,
    '- 値は PostgreSQL の文字列表現そのままです。日時は日本時間 (+09) の ISO 形式、配列は `{a,b}`、JSON は文字列で表します。',
    '- NULL (値なし) は引用符のない空欄、空文字列は `""` です。',
    ...(manifest.encoding === 'sjis'
      ? ['- Shift_JIS で表せない文字は、Shift_JIS の近い文字 (〜 は ～) か 〓 で表しています。元の値は tables/<テーブル>.sjis-originals.csv (UTF-8: 行番号、列、値) にあります。']
      : []),
    "- Excel で式として実行されないよう、数値以外の列で `=` `+` `-` `@` タブ・CR または `'` で始まる値には、先頭に `'` を一つ足しています。元の値は先頭の `'` を一つ取り除いたものです (manifest.json の各列の formulaMark が true の列だけ)。",
    '- schedule.yaml は、交付場所・開庁ルール・休業日・手続きの設定を本システムの設定ファイル形式 (docs/schedule-format.md) で書き出したものです。同じ内容は各テーブルにも含まれています。',
    '',
    '## テーブルと列',
    '',
  ];
  for (const table of manifest.tables) {
    lines.push(`### ${table.name} (${table.file}、${table.rows} 行)`, '', cell(table.description), '', '| 列 | 型 | NULL | 説明 |', '| --- | --- | --- | --- |');
    for (const column of table.columns) lines.push(`| ${column.name} | ${column.type} | ${column.nullable ? '可' : '不可'} | ${cell(column.description)} |`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
